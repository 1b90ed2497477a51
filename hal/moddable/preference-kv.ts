/**
 * Key-value store over Moddable's `preference` module whose set and delete survive a power cut
 * at any instant: afterwards the key holds its old value or its new one, never neither.
 *
 * ESP-IDF writes an NVS item atomically and writes a key's new item before it erases the old
 * one. Moddable's preference.set on ESP32 erases the key first (its workaround for ESP-IDF
 * keeping a key's old type), so a cut between that erase and the write leaves the key missing:
 * a journal entry could vanish between "announced" and "acked", and the redelivered confirmation
 * would be announced a second time.
 *
 * So every change goes through an intent record (kv-intent.ts) under KV_RESERVED_KEY, in the
 * domain's own namespace:
 *   1. store the intent: the key and its new value, or a tombstone for a delete;
 *   2. apply it to the key (preference.set, or preference.delete);
 *   3. erase the intent.
 * At the first use of a domain after a start, an intent found there is applied again and erased.
 * Applying is idempotent, so a cut anywhere leaves the old value or the new one:
 *   - in step 1 (the intent's own erase, or its write): the key has not been touched, and the
 *     intent is absent or whole (NVS writes an item atomically): the old value, or the new one
 *     once the intent is applied at the next start;
 *   - in step 2 (the key's erase or its write), or before step 3 is done: the intent is whole,
 *     and the next start writes the new value again;
 *   - in that recovery: the intent is erased last, so the start after applies it again.
 * A stale intent cannot undo a later change (resurrect a deleted key, restore a replaced value):
 * an intent leaves flash only once it has been applied, a change first applies the intent its
 * domain still holds and refuses to start if it cannot, and a new intent replaces the old one in
 * the same record. So the intent on flash is always the newest change begun in its domain, and
 * applying it only ever moves the key to that change.
 *
 * Once its intent is stored a change is made, as in any write-ahead log: if applying it then
 * fails (a flash error, not a cut) the call still succeeds, reads return the new value from the
 * intent, and the next write in the domain applies it first, or refuses with the error.
 *
 * Cost: a set writes the intent (its value again, plus at most 17 bytes) and erases it, so it
 * takes about twice the NVS entries of a bare set (docs/manufacturing.md, "Flash wear").
 */
import { checkKvNames, checkKvWrite, KV_RESERVED_KEY, KvError, type KeyValueStore, type KvValue } from "../kv";
import { decodeIntent, encodeIntent, type KvIntent } from "./kv-intent";

/** What this store needs of Moddable's `preference` module. */
export interface PreferenceModule {
  get(domain: string, key: string): KvValue | undefined;
  set(domain: string, key: string, value: KvValue): void;
  delete(domain: string, key: string): void;
  keys(domain: string): string[];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class PreferenceKv implements KeyValueStore {
  readonly #preference: PreferenceModule;
  /** Per domain used since start: the intent its namespace holds, or null for none. */
  readonly #intents = new Map<string, KvIntent | null>();

  constructor(preference: PreferenceModule) {
    this.#preference = preference;
  }

  get(domain: string, key: string): KvValue | undefined {
    if (key === KV_RESERVED_KEY) return undefined;
    const pending = this.#recover(domain);
    if (pending && pending.key === key) return pending.value;
    return this.#preference.get(domain, key);
  }

  set(domain: string, key: string, value: KvValue): void {
    checkKvWrite(domain, key, value);
    this.#change(domain, { key, value });
  }

  delete(domain: string, key: string): void {
    checkKvNames(domain, key);
    // Deleting what is not there writes nothing, as NVS would.
    if (this.get(domain, key) === undefined) return;
    this.#change(domain, { key, value: undefined });
  }

  keys(domain: string): string[] {
    const pending = this.#recover(domain);
    const keys = this.#preference.keys(domain).filter((key) => key !== KV_RESERVED_KEY && key !== pending?.key);
    if (pending && pending.value !== undefined) keys.push(pending.key);
    return keys;
  }

  #change(domain: string, intent: KvIntent): void {
    this.#settle(domain);
    try {
      this.#preference.set(domain, KV_RESERVED_KEY, encodeIntent(intent));
    } catch (error) {
      // The key is untouched. Whether the record made it is read again at the next use.
      this.#intents.delete(domain);
      throw new KvError("storage", `${domain}/${intent.key}: ${describe(error)}`);
    }
    this.#intents.set(domain, intent);
    try {
      this.#settle(domain);
    } catch {
      // The change is made (the intent holds it); the next write in the domain retries it.
    }
  }

  /** Applies the domain's intent, if it holds one, and erases it. Throws KvError if it cannot. */
  #settle(domain: string): void {
    const intent = this.#load(domain);
    if (!intent) return;
    try {
      if (intent.value === undefined) this.#preference.delete(domain, intent.key);
      else this.#preference.set(domain, intent.key, intent.value);
      this.#preference.delete(domain, KV_RESERVED_KEY);
    } catch (error) {
      throw new KvError("storage", `${domain}/${intent.key}: a pending change cannot be applied: ${describe(error)}`);
    }
    this.#intents.set(domain, null);
  }

  /**
   * Recovery at the first use of a domain. A read must answer even when the flash refuses the
   * write: then the intent it still holds is the answer, and a later write reports the error.
   */
  #recover(domain: string): KvIntent | null {
    try {
      this.#settle(domain);
    } catch {
      // Kept pending; see above.
    }
    return this.#load(domain);
  }

  #load(domain: string): KvIntent | null {
    let intent = this.#intents.get(domain);
    if (intent !== undefined) return intent;
    const stored = this.#preference.get(domain, KV_RESERVED_KEY);
    // NVS writes a record whole, so one that does not decode was not written by this format (or
    // the flash decayed): nothing in it can be applied. It is ignored, and the next change in the
    // domain writes its own intent over it.
    intent = stored === undefined ? null : (decodeIntent(stored) ?? null);
    this.#intents.set(domain, intent);
    return intent;
  }
}
