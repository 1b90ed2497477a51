/**
 * The device's HMAC keys: one NVS blob per key id, plus which key is current and when each older
 * key stops being accepted.
 *
 * Rotation (the rotate-key command) installs a new key and makes it current; every other key
 * stays accepted until its retirement time, so confirmations already signed with it still verify
 * while the service switches over. A key is retired by time or by the retire-key command.
 * Provisioning that writes keys with `put` and never rotates leaves no current key: then every
 * key counts as current.
 */
import type { Clock } from "../../hal/clock";
import type { KeyValueStore } from "../../hal/kv";
import { CborError, decodeCbor, encodeCbor, isCborMap, type CborMap } from "../protocol/cbor";

/** Where per-device HMAC keys live: one NVS blob per key id. */
export const KEYRING_DOMAIN = "keys";
/** The current key id and the retirement times, one CBOR blob. */
export const KEYRING_STATE_DOMAIN = "keystate";
const STATE_KEY = "state";

/** Keys are 32 random bytes; shorter ones are refused so a provisioning mistake cannot weaken them. */
export const HMAC_KEY_BYTES = 32;
export const KEY_ID = /^[A-Za-z0-9._-]{1,15}$/;

interface KeyringState {
  current: string | undefined;
  /** key id -> ms since the epoch (device clock) after which it is no longer accepted. */
  retireAt: Map<string, number>;
}

/** One Keyring per store: it keeps the state blob in memory after the first read. */
export class Keyring {
  readonly #kv: KeyValueStore;
  readonly #clock: Pick<Clock, "now"> | undefined;
  #cached: KeyringState | undefined;

  /**
   * Without a clock, retirement times cannot be compared, so a key scheduled for retirement is
   * treated as retired already.
   */
  constructor(kv: KeyValueStore, clock?: Pick<Clock, "now">) {
    this.#kv = kv;
    this.#clock = clock;
  }

  /** The key, if it exists and is not retired. */
  get(keyId: string): Uint8Array | undefined {
    if (keyId.length === 0 || keyId.length > 15) return undefined;
    const stored = this.#kv.get(KEYRING_DOMAIN, keyId);
    if (!(stored instanceof ArrayBuffer) || stored.byteLength !== HMAC_KEY_BYTES) return undefined;
    const retireAt = this.#state().retireAt.get(keyId);
    if (retireAt !== undefined && (!this.#clock || this.#clock.now() >= retireAt)) return undefined;
    return new Uint8Array(stored);
  }

  put(keyId: string, key: Uint8Array): void {
    if (key.length !== HMAC_KEY_BYTES) throw new RangeError(`HMAC keys are ${HMAC_KEY_BYTES} bytes, got ${key.length}`);
    this.#kv.set(KEYRING_DOMAIN, keyId, key.slice().buffer);
  }

  remove(keyId: string): void {
    this.#kv.delete(KEYRING_DOMAIN, keyId);
    const state = this.#draft();
    if (state.retireAt.delete(keyId) || state.current === keyId) {
      if (state.current === keyId) state.current = undefined;
      this.#save(state);
    }
  }

  ids(): string[] {
    return this.#kv.keys(KEYRING_DOMAIN);
  }

  /** The key the service was last told to use, if a rotation ever happened. */
  get current(): string | undefined {
    return this.#state().current;
  }

  /** Whether the key may manage keys: the current one, or any key before the first rotation. */
  isCurrent(keyId: string): boolean {
    const current = this.#state().current;
    return current === undefined || current === keyId;
  }

  retiresAt(keyId: string): number | undefined {
    return this.#state().retireAt.get(keyId);
  }

  /**
   * Installs `key` as `keyId` and makes it current; every other key not already retiring is
   * accepted for `graceMs` more (device clock). Returns the retirement schedule.
   */
  rotate(keyId: string, key: Uint8Array, graceMs: number, now: number): Map<string, number> {
    this.put(keyId, key);
    const state = this.#draft();
    state.current = keyId;
    state.retireAt.delete(keyId);
    for (const other of this.ids()) {
      if (other === keyId) continue;
      const scheduled = state.retireAt.get(other);
      if (scheduled === undefined || scheduled > now + graceMs) state.retireAt.set(other, now + graceMs);
    }
    this.#save(state);
    return state.retireAt;
  }

  /** Deletes keys whose retirement time has passed; returns their ids. */
  prune(now: number): string[] {
    const removed: string[] = [];
    const state = this.#draft();
    for (const [keyId, at] of state.retireAt) {
      if (at > now) continue;
      this.#kv.delete(KEYRING_DOMAIN, keyId);
      state.retireAt.delete(keyId);
      removed.push(keyId);
    }
    if (removed.length > 0) this.#save(state);
    return removed;
  }

  #state(): KeyringState {
    if (!this.#cached) this.#cached = this.#load();
    return this.#cached;
  }

  /** A copy to change: the cached state changes only once the store has taken the new one. */
  #draft(): KeyringState {
    const state = this.#state();
    return { current: state.current, retireAt: new Map(state.retireAt) };
  }

  #load(): KeyringState {
    const state: KeyringState = { current: undefined, retireAt: new Map() };
    const stored = this.#kv.get(KEYRING_STATE_DOMAIN, STATE_KEY);
    if (!(stored instanceof ArrayBuffer)) return state;
    let map;
    try {
      map = decodeCbor(new Uint8Array(stored));
    } catch (error) {
      if (error instanceof CborError) return state;
      throw error;
    }
    if (!isCborMap(map)) return state;
    if (typeof map.cur === "string") state.current = map.cur;
    const retire = map.ret;
    if (retire !== undefined && isCborMap(retire))
      for (const keyId of Object.keys(retire)) {
        const at = retire[keyId];
        if (typeof at === "number") state.retireAt.set(keyId, at);
      }
    return state;
  }

  #save(state: KeyringState): void {
    const map: CborMap = {};
    if (state.current !== undefined) map.cur = state.current;
    const retire: CborMap = {};
    for (const [keyId, at] of state.retireAt) retire[keyId] = at;
    map.ret = retire;
    this.#kv.set(KEYRING_STATE_DOMAIN, STATE_KEY, encodeCbor(map).buffer as ArrayBuffer);
    this.#cached = state;
  }
}
