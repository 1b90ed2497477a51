/**
 * The payment journal: a bounded ring of the most recent confirmations, persisted in the
 * key-value store before anything is announced, and the source of truth for de-duplication.
 *
 * Each slot is one NVS key holding one entry with a sequence number. NVS writes a key atomically,
 * so a restart in the middle of an append leaves either the old entry or the new one; the head of
 * the ring is derived from the highest sequence found at start, never stored on its own.
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
    txn: c.transactionId,
    amt: c.amountMinor,
    cur: c.currency,
    prov: c.provider,
    ts: c.confirmedAt,
    dev: c.deviceId,
    ...(c.expiresAt === undefined ? {} : { exp: c.expiresAt }),
  };
  return encodeCbor(map).slice().buffer;
}

function decodeEntry(stored: ArrayBuffer): JournalEntry | undefined {
  try {
    const m = decodeCbor(new Uint8Array(stored));
    if (!isCborMap(m)) return undefined;
    const { s, st, r, txn, amt, cur, prov, ts, dev, exp } = m;
    if (typeof s !== "number" || typeof r !== "number" || typeof txn !== "string" || typeof amt !== "number") return undefined;
    if (typeof cur !== "string" || typeof prov !== "string" || typeof ts !== "number" || typeof dev !== "string") return undefined;
    return {
      sequence: s,
      state: st === 1 ? "announced" : "journaled",
      receivedAt: r,
      confirmation: {
        transactionId: txn,
        amountMinor: amt,
        currency: cur,
        provider: prov,
        confirmedAt: ts,
        deviceId: dev,
        expiresAt: typeof exp === "number" ? exp : undefined,
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
  /** Slots whose stored bytes could not be read at start (counted for telemetry). */
  readonly unreadableAtStart: number;

  constructor(kv: KeyValueStore, capacity = DEFAULT_JOURNAL_CAPACITY) {
    this.#kv = kv;
    this.#capacity = capacity;
    this.#slots = new Array(capacity);
    let unreadable = 0;
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
    }
    this.unreadableAtStart = unreadable;
  }

  get capacity(): number {
    return this.#capacity;
  }

  find(transactionId: string): JournalEntry | undefined {
    const sequence = this.#index.get(transactionId);
    return sequence === undefined ? undefined : this.#slots[sequence % this.#capacity];
  }

  /** Persists the confirmation; throws if the store refuses, in which case nothing changed. */
  append(confirmation: PaymentConfirmation, receivedAt: number): JournalEntry {
    const entry: JournalEntry = { sequence: this.#nextSequence, state: "journaled", receivedAt, confirmation };
    const slot = entry.sequence % this.#capacity;
    this.#kv.set(JOURNAL_DOMAIN, slotKey(slot), encodeEntry(entry));
    const evicted = this.#slots[slot];
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
