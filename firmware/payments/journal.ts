/**
 * The payment journal: a bounded ring (../nvs-ring.ts) of the most recent confirmations,
 * persisted in the key-value store before anything is announced, and the source of truth for
 * de-duplication.
 *
 * An entry goes journaled -> announced -> acked. "acked" means the broker took the announced ack
 * (its PUBACK came back): until then the ack is outstanding, and the device sends it again on
 * every connect (payments/ack-courier.ts), so a broker outage between announcing and acking does
 * not leave the service to learn of the payment only from a redelivered copy.
 *
 * The ring's floor is the latest confirmation time (`ts`, the service's clock) of any entry it has
 * overwritten: a confirmation stamped at or before it may be one the journal has forgotten, and
 * the pipeline refuses it as too old.
 *
 * Stored form, one CBOR map per slot key `e<slot>` in namespace "journal"; keys never change and
 * fields are only ever added, so the journal on a device survives a firmware update:
 *   {s: sequence, st: 0 journaled | 1 announced, ao?: 1, r: received at, f: floor,
 *    txn, amt, cur, prov, ts, dev, exp?, ref?}
 * `ao: 1` marks an announced entry whose ack is outstanding; `st: 1` without it is acked. Entries
 * written before acks were tracked read as acked (their acks went out then), and firmware from
 * before reads an outstanding one as announced, as it should.
 */
import type { KeyValueStore } from "../../hal/kv";
import { CborError, decodeCbor, encodeCbor, isCborMap } from "../protocol/cbor";
import { NvsRing, type RingFormat } from "../nvs-ring";
import type { PaymentConfirmation } from "./confirmation";

export const JOURNAL_DOMAIN = "journal";
export const DEFAULT_JOURNAL_CAPACITY = 256;

export type EntryState = "journaled" | "announced" | "acked";

export interface JournalEntry {
  sequence: number;
  state: EntryState;
  /** When the device journaled it, ms since the epoch. */
  receivedAt: number;
  confirmation: PaymentConfirmation;
  /** The journal's floor when this entry was written. */
  floor: number;
}

function encodeEntry(entry: JournalEntry): ArrayBuffer {
  const c = entry.confirmation;
  const map = {
    s: entry.sequence,
    st: entry.state === "journaled" ? 0 : 1,
    ...(entry.state === "announced" ? { ao: 1 } : {}),
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
  // encodeCbor returns a fresh array of exactly these bytes: its buffer is the value.
  return encodeCbor(map).buffer as ArrayBuffer;
}

function decodeEntry(stored: ArrayBuffer): JournalEntry | undefined {
  try {
    const m = decodeCbor(new Uint8Array(stored));
    if (!isCborMap(m)) return undefined;
    const { s, st, ao, r, f, txn, amt, cur, prov, ts, dev, exp, ref } = m;
    if (typeof s !== "number" || typeof r !== "number" || typeof txn !== "string" || typeof amt !== "number") return undefined;
    if (typeof cur !== "string" || typeof prov !== "string" || typeof ts !== "number" || typeof dev !== "string") return undefined;
    return {
      sequence: s,
      state: st !== 1 ? "journaled" : ao === 1 ? "announced" : "acked",
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

const FORMAT: RingFormat<JournalEntry> = {
  domain: JOURNAL_DOMAIN,
  keyPrefix: "e",
  encode: encodeEntry,
  decode: decodeEntry,
  id: (entry) => entry.confirmation.transactionId,
  stamp: (entry) => entry.confirmation.confirmedAt,
};

export class Journal {
  readonly #ring: NvsRing<JournalEntry>;

  constructor(kv: KeyValueStore, capacity = DEFAULT_JOURNAL_CAPACITY) {
    this.#ring = new NvsRing(kv, FORMAT, capacity);
  }

  get capacity(): number {
    return this.#ring.capacity;
  }

  /** Slots whose stored bytes could not be read at start (counted for telemetry). */
  get unreadableAtStart(): number {
    return this.#ring.unreadableAtStart;
  }

  /** Confirmations stamped at or before this instant (service clock) may have been forgotten. */
  get floor(): number {
    return this.#ring.floor;
  }

  find(transactionId: string): JournalEntry | undefined {
    return this.#ring.find(transactionId);
  }

  /** Persists the confirmation; throws if the store refuses, in which case nothing changed. */
  append(confirmation: PaymentConfirmation, receivedAt: number): JournalEntry {
    return this.#ring.append((sequence, floor) => ({ sequence, state: "journaled", receivedAt, confirmation, floor }));
  }

  /** The announcement is queued: from now on the entry's ack is outstanding. */
  markAnnounced(entry: JournalEntry): void {
    this.#advance(entry, "journaled", "announced");
  }

  /** The broker took the entry's announced ack (PUBACK). Throws if the store refuses. */
  markAcked(entry: JournalEntry): void {
    this.#advance(entry, "announced", "acked");
  }

  /** Newest first. */
  recent(count: number): JournalEntry[] {
    return this.#ring.newest(count);
  }

  /** Entries journaled but never announced: a restart came between the two. Oldest first. */
  unannounced(): JournalEntry[] {
    return this.#ring.select((entry) => entry.state === "journaled");
  }

  /** Entries announced whose ack the broker has not taken yet. Oldest first. */
  unacked(): JournalEntry[] {
    return this.#ring.select((entry) => entry.state === "announced");
  }

  /** Moves the entry, as the journal holds it now, from one state to the next; else nothing. */
  #advance(entry: JournalEntry, from: EntryState, to: EntryState): void {
    const current = this.#ring.at(entry.sequence);
    if (current?.state !== from) return;
    this.#ring.replace({ ...current, state: to });
  }
}
