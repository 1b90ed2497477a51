/**
 * The command ledger: the ids of the most recent commands, kept in the key-value store so that a
 * command replayed (by an attacker, or redelivered by the broker after a restart) never runs
 * twice. A bounded ring, one NVS key per slot, like the payment journal.
 *
 * A ring forgets: after `capacity` newer commands an id is gone. So every entry also carries the
 * ledger's floor, the latest issue time of any command it has forgotten. A command issued at or
 * before the floor may have been seen and forgotten, and is refused as too old; one issued after
 * it that is not in the ring has certainly never run. The floor is rebuilt at start from the
 * entries, so it survives restarts without a write of its own.
 *
 * A command is recorded as running before its handler runs and updated with the outcome after:
 * a restart in between leaves it "running", and a redelivery is then refused as a duplicate.
 * Commands therefore run at most once.
 */
import type { KeyValueStore } from "../../hal/kv";
import { CborError, decodeCbor, encodeCbor, isCborMap } from "../protocol/cbor";
import type { Command } from "./command";

export const LEDGER_DOMAIN = "cmdlog";
export const DEFAULT_LEDGER_CAPACITY = 32;

export type LedgerState = "running" | "ok" | "rejected";

const STATE_CODES: readonly LedgerState[] = ["running", "ok", "rejected"];

export interface LedgerEntry {
  sequence: number;
  id: string;
  issuedAt: number;
  state: LedgerState;
  /** The ledger's floor when this entry was written. */
  floor: number;
}

function slotKey(slot: number): string {
  return `c${slot}`;
}

function encodeEntry(entry: LedgerEntry): ArrayBuffer {
  return encodeCbor({ s: entry.sequence, id: entry.id, ts: entry.issuedAt, st: STATE_CODES.indexOf(entry.state), f: entry.floor }).slice().buffer;
}

function decodeEntry(stored: ArrayBuffer): LedgerEntry | undefined {
  try {
    const m = decodeCbor(new Uint8Array(stored));
    if (!isCborMap(m)) return undefined;
    const { s, id, ts, st, f } = m;
    if (typeof s !== "number" || typeof id !== "string" || typeof ts !== "number" || typeof st !== "number" || typeof f !== "number") return undefined;
    const state = STATE_CODES[st];
    return state === undefined ? undefined : { sequence: s, id, issuedAt: ts, state, floor: f };
  } catch (error) {
    if (error instanceof CborError) return undefined;
    throw error;
  }
}

export class CommandLedger {
  readonly #kv: KeyValueStore;
  readonly #capacity: number;
  readonly #slots: (LedgerEntry | undefined)[];
  readonly #index = new Map<string, number>();
  #nextSequence = 1;
  #floor = 0;
  /** Slots whose bytes could not be read at start. */
  readonly unreadableAtStart: number;

  constructor(kv: KeyValueStore, capacity = DEFAULT_LEDGER_CAPACITY) {
    this.#kv = kv;
    this.#capacity = capacity;
    this.#slots = new Array(capacity);
    let unreadable = 0;
    let newestIssued = 0;
    for (let slot = 0; slot < capacity; slot++) {
      const stored = kv.get(LEDGER_DOMAIN, slotKey(slot));
      if (stored === undefined) continue;
      const entry = stored instanceof ArrayBuffer ? decodeEntry(stored) : undefined;
      if (!entry || entry.sequence % capacity !== slot) {
        unreadable++;
        continue;
      }
      this.#slots[slot] = entry;
      this.#index.set(entry.id, entry.sequence);
      if (entry.sequence >= this.#nextSequence) this.#nextSequence = entry.sequence + 1;
      if (entry.floor > this.#floor) this.#floor = entry.floor;
      if (entry.issuedAt > newestIssued) newestIssued = entry.issuedAt;
    }
    // A slot that cannot be read may have held any recent id: only commands issued after every
    // readable one are certainly new.
    if (unreadable > 0 && newestIssued > this.#floor) this.#floor = newestIssued;
    this.unreadableAtStart = unreadable;
  }

  /** Commands issued at or before this instant (service clock) are refused as too old. */
  get floor(): number {
    return this.#floor;
  }

  find(id: string): LedgerEntry | undefined {
    const sequence = this.#index.get(id);
    return sequence === undefined ? undefined : this.#slots[sequence % this.#capacity];
  }

  /** Records the command as running. Throws if the store refuses, in which case nothing changed. */
  begin(command: Command): LedgerEntry {
    const sequence = this.#nextSequence;
    const slot = sequence % this.#capacity;
    const evicted = this.#slots[slot];
    const floor = evicted && evicted.issuedAt > this.#floor ? evicted.issuedAt : this.#floor;
    const entry: LedgerEntry = { sequence, id: command.id, issuedAt: command.issuedAt, state: "running", floor };
    this.#kv.set(LEDGER_DOMAIN, slotKey(slot), encodeEntry(entry));
    if (evicted) this.#index.delete(evicted.id);
    this.#slots[slot] = entry;
    this.#index.set(entry.id, sequence);
    this.#floor = floor;
    this.#nextSequence++;
    return entry;
  }

  /** Records the outcome. A failed write leaves "running", which refuses a replay all the same. */
  finish(entry: LedgerEntry, state: "ok" | "rejected"): void {
    const slot = entry.sequence % this.#capacity;
    if (this.#slots[slot]?.sequence !== entry.sequence) return;
    const updated: LedgerEntry = { ...entry, state };
    this.#kv.set(LEDGER_DOMAIN, slotKey(slot), encodeEntry(updated));
    this.#slots[slot] = updated;
  }
}
