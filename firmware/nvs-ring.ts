/**
 * A bounded ring of records in the key-value store, one NVS key per slot: what the payment journal
 * (payments/journal.ts) and the command ledger (commands/ledger.ts) keep, each in its own format.
 *
 * Record n (its sequence number, from 1) lives in slot n % capacity, under `<keyPrefix><slot>`.
 * The store writes a key atomically (on the ESP32 through an intent record, as Moddable's
 * preference erases a key before writing it: hal/moddable/preference-kv.ts), so a restart in the
 * middle of a write leaves either the old record or the new one; the head of the ring is derived
 * from the highest sequence found at start, never stored on its own.
 *
 * A ring forgets, so it also keeps a floor: the latest stamp (the service's time on a record) of
 * any record it has overwritten. Something stamped at or before the floor may be one the ring has
 * forgotten. Each record carries the floor as it was when the record was written, so the floor is
 * rebuilt at start with no write of its own. A slot that cannot be read may have held any recent
 * id, so then only what is stamped after every readable record is certainly new.
 */
import type { KeyValueStore } from "../hal/kv";

export interface RingRecord {
  /** Position in the ring, from 1; record n lives in slot n % capacity. */
  sequence: number;
  /** The ring's floor when this record was written. */
  floor: number;
}

/** How one kind of record is stored: where, how it is encoded, what identifies and stamps it. */
export interface RingFormat<T extends RingRecord> {
  /** The NVS namespace. */
  domain: string;
  /** Slot n is stored under `${keyPrefix}${n}`. */
  keyPrefix: string;
  encode(record: T): ArrayBuffer;
  /** The record, or undefined when the bytes are not one. */
  decode(stored: ArrayBuffer): T | undefined;
  /** What the ring finds it by (a transaction id, a command id). */
  id(record: T): string;
  /** The service's time on it, ms since the epoch: what the floor is made of. */
  stamp(record: T): number;
}

export class NvsRing<T extends RingRecord> {
  readonly capacity: number;
  /** Slots whose stored bytes could not be read at start. */
  readonly unreadableAtStart: number;
  readonly #kv: KeyValueStore;
  readonly #format: RingFormat<T>;
  readonly #slots: (T | undefined)[];
  /** id -> sequence of the record that holds it. */
  readonly #index = new Map<string, number>();
  #nextSequence = 1;
  #floor = 0;

  constructor(kv: KeyValueStore, format: RingFormat<T>, capacity: number) {
    this.#kv = kv;
    this.#format = format;
    this.capacity = capacity;
    this.#slots = new Array(capacity);
    let unreadable = 0;
    let newestStamp = 0;
    for (let slot = 0; slot < capacity; slot++) {
      const stored = kv.get(format.domain, format.keyPrefix + slot);
      if (stored === undefined) continue;
      const record = stored instanceof ArrayBuffer ? format.decode(stored) : undefined;
      if (!record || record.sequence % capacity !== slot) {
        unreadable++;
        continue;
      }
      this.#slots[slot] = record;
      this.#index.set(format.id(record), record.sequence);
      if (record.sequence >= this.#nextSequence) this.#nextSequence = record.sequence + 1;
      if (record.floor > this.#floor) this.#floor = record.floor;
      const stamp = format.stamp(record);
      if (stamp > newestStamp) newestStamp = stamp;
    }
    if (unreadable > 0 && newestStamp > this.#floor) this.#floor = newestStamp;
    this.unreadableAtStart = unreadable;
  }

  /** Stamps at or before this instant (service clock) may belong to records the ring forgot. */
  get floor(): number {
    return this.#floor;
  }

  find(id: string): T | undefined {
    const sequence = this.#index.get(id);
    return sequence === undefined ? undefined : this.#slots[sequence % this.capacity];
  }

  /**
   * Stores the record `make` builds from the next sequence number and the floor it must carry,
   * over the oldest one when the ring is full. Throws if the store refuses; nothing changed then.
   */
  append(make: (sequence: number, floor: number) => T): T {
    const sequence = this.#nextSequence;
    const slot = sequence % this.capacity;
    const evicted = this.#slots[slot];
    const evictedStamp = evicted ? this.#format.stamp(evicted) : 0;
    const floor = evicted && evictedStamp > this.#floor ? evictedStamp : this.#floor;
    const record = make(sequence, floor);
    this.#write(slot, record);
    if (evicted) this.#index.delete(this.#format.id(evicted));
    this.#index.set(this.#format.id(record), sequence);
    this.#floor = floor;
    this.#nextSequence++;
    return record;
  }

  /** The current version of the record with this sequence, while the ring holds it. */
  at(sequence: number): T | undefined {
    const record = this.#slots[sequence % this.capacity];
    return record && record.sequence === sequence ? record : undefined;
  }

  /**
   * Stores a new version of a record still in the ring (same sequence and id); false, writing
   * nothing, when it has been overwritten. Throws if the store refuses; nothing changed then.
   */
  replace(record: T): boolean {
    if (!this.at(record.sequence)) return false;
    this.#write(record.sequence % this.capacity, record);
    return true;
  }

  /** The newest `count` records, newest first, as long as their sequence runs without a gap. */
  newest(count: number): T[] {
    const result: T[] = [];
    for (let sequence = this.#nextSequence - 1; sequence > 0 && result.length < count; sequence--) {
      const record = this.at(sequence);
      if (!record) break;
      result.push(record);
    }
    return result;
  }

  /** The records that `keep` selects, oldest first. */
  select(keep: (record: T) => boolean): T[] {
    return this.#slots.filter((r): r is T => r !== undefined && keep(r)).sort((a, b) => a.sequence - b.sequence);
  }

  #write(slot: number, record: T): void {
    this.#kv.set(this.#format.domain, this.#format.keyPrefix + slot, this.#format.encode(record));
    this.#slots[slot] = record;
  }
}
