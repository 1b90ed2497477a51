/**
 * The payment journal: a bounded ring of the most recent confirmations, persisted in the
 * key-value store before anything is announced, and the source of truth for de-duplication.
 *
 * Each slot is one NVS key holding one entry with a sequence number. NVS writes a key atomically,
 * so a restart in the middle of an append leaves either the old entry or the new one; the head of
 * the ring is derived from the highest sequence found at start, never stored on its own.
 *
 * A ring forgets, so it also keeps a floor: the latest confirmation time (`ts`, the service's
 * clock) of any entry it has overwritten. A confirmation stamped at or before the floor may be
 * one it has forgotten, and the pipeline refuses it as too old. Each entry carries the floor as it
 * was when the entry was written, so the floor is rebuilt at start with no write of its own.
 */
import type { KeyValueStore } from "../../hal/kv";
import { CborError, decodeCbor, encodeCbor, isCborMap } from "../protocol/cbor";
import type { PaymentConfirmation } from "./confirmation";

export const JOURNAL_DOMAIN = "journal";
export const DEFAULT_JOURNAL_CAPACITY = 256;

export type EntryState = "journaled" | "announced";

export interface JournalEntry {
  sequence: number;
  state: EntryState;
  /** When the device journaled it, ms since the epoch. */
  receivedAt: number;
  confirmation: PaymentConfirmation;
  /** The journal's floor when this entry was written. */
  floor: number;
}

function slotKey(slot: number): string {
  return `e${slot}`;
}

function encodeEntry(entry: JournalEntry): ArrayBuffer {
  const c = entry.confirmation;
  const map = {
    s: entry.sequence,
    st: entry.state === "announced" ? 1 : 0,
    r: entry.receivedAt,
    f: entry.floor,
    txn: c.transactionId,
    amt: c.amountMinor,
    cur: c.currency,
    prov: c.provider,
    ts: c.confirmedAt,
    dev: c.deviceId,
    ...(c.expiresAt === undefined ? {} : { exp: c.expiresAt }),
    ...(c.reference === undefined ? {} : { ref: c.reference }),
  };
  return encodeCbor(map).slice().buffer;
}

function decodeEntry(stored: ArrayBuffer): JournalEntry | undefined {
  try {
    const m = decodeCbor(new Uint8Array(stored));
    if (!isCborMap(m)) return undefined;
    const { s, st, r, f, txn, amt, cur, prov, ts, dev, exp, ref } = m;
    if (typeof s !== "number" || typeof r !== "number" || typeof txn !== "string" || typeof amt !== "number") return undefined;
    if (typeof cur !== "string" || typeof prov !== "string" || typeof ts !== "number" || typeof dev !== "string") return undefined;
    return {
      sequence: s,
      state: st === 1 ? "announced" : "journaled",
      receivedAt: r,
      // Entries written before floors existed count as floor 0.
      floor: typeof f === "number" ? f : 0,
      confirmation: {
        transactionId: txn,
        amountMinor: amt,
        currency: cur,
        provider: prov,
        confirmedAt: ts,
        deviceId: dev,
        expiresAt: typeof exp === "number" ? exp : undefined,
        ...(typeof ref === "string" ? { reference: ref } : {}),
      },
    };
  } catch (error) {
    if (error instanceof CborError) return undefined;
    throw error;
  }
}

export class Journal {
  readonly #kv: KeyValueStore;
  readonly #capacity: number;
  /** transaction id -> sequence of the entry that holds it. */
  readonly #index = new Map<string, number>();
  #slots: (JournalEntry | undefined)[];
  #nextSequence = 1;
  #floor = 0;
  /** Slots whose stored bytes could not be read at start (counted for telemetry). */
  readonly unreadableAtStart: number;

  constructor(kv: KeyValueStore, capacity = DEFAULT_JOURNAL_CAPACITY) {
    this.#kv = kv;
    this.#capacity = capacity;
    this.#slots = new Array(capacity);
    let unreadable = 0;
    let newestConfirmed = 0;
    for (let slot = 0; slot < capacity; slot++) {
      const stored = kv.get(JOURNAL_DOMAIN, slotKey(slot));
      if (stored === undefined) continue;
      const entry = stored instanceof ArrayBuffer ? decodeEntry(stored) : undefined;
      if (!entry || entry.sequence % capacity !== slot) {
        unreadable++;
        continue;
      }
      this.#slots[slot] = entry;
      this.#index.set(entry.confirmation.transactionId, entry.sequence);
      if (entry.sequence >= this.#nextSequence) this.#nextSequence = entry.sequence + 1;
      if (entry.floor > this.#floor) this.#floor = entry.floor;
      if (entry.confirmation.confirmedAt > newestConfirmed) newestConfirmed = entry.confirmation.confirmedAt;
    }
    // An unreadable slot may have held any recent transaction: only confirmations stamped after
    // every readable one are certainly new.
    if (unreadable > 0 && newestConfirmed > this.#floor) this.#floor = newestConfirmed;
    this.unreadableAtStart = unreadable;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Confirmations stamped at or before this instant (service clock) may have been forgotten. */
  get floor(): number {
    return this.#floor;
  }

  find(transactionId: string): JournalEntry | undefined {
    const sequence = this.#index.get(transactionId);
    return sequence === undefined ? undefined : this.#slots[sequence % this.#capacity];
  }

  /** Persists the confirmation; throws if the store refuses, in which case nothing changed. */
  append(confirmation: PaymentConfirmation, receivedAt: number): JournalEntry {
    const slot = this.#nextSequence % this.#capacity;
    const evicted = this.#slots[slot];
    const floor = evicted && evicted.confirmation.confirmedAt > this.#floor ? evicted.confirmation.confirmedAt : this.#floor;
    const entry: JournalEntry = { sequence: this.#nextSequence, state: "journaled", receivedAt, confirmation, floor };
    this.#kv.set(JOURNAL_DOMAIN, slotKey(slot), encodeEntry(entry));
    this.#floor = floor;
    if (evicted) this.#index.delete(evicted.confirmation.transactionId);
    this.#slots[slot] = entry;
    this.#index.set(confirmation.transactionId, entry.sequence);
    this.#nextSequence++;
    return entry;
  }

  markAnnounced(entry: JournalEntry): void {
    if (entry.state === "announced") return;
    const updated: JournalEntry = { ...entry, state: "announced" };
    const slot = entry.sequence % this.#capacity;
    if (this.#slots[slot]?.sequence !== entry.sequence) return;
    this.#kv.set(JOURNAL_DOMAIN, slotKey(slot), encodeEntry(updated));
    this.#slots[slot] = updated;
  }

  /** Newest first. */
  recent(count: number): JournalEntry[] {
    const result: JournalEntry[] = [];
    for (let sequence = this.#nextSequence - 1; sequence > 0 && result.length < count; sequence--) {
      const entry = this.#slots[sequence % this.#capacity];
      if (!entry || entry.sequence !== sequence) break;
      result.push(entry);
    }
    return result;
  }

  /** Entries journaled but never announced: a restart came between the two. Oldest first. */
  unannounced(): JournalEntry[] {
    return this.#slots.filter((e): e is JournalEntry => e !== undefined && e.state === "journaled").sort((a, b) => a.sequence - b.sequence);
  }
}
