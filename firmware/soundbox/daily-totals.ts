/**
 * Today's takings: count and total per currency for the merchant's local day, kept in the
 * key-value store as one record (one NVS key, written atomically) so they survive restarts.
 *
 * - A payment belongs to the local day of its confirmation time (the payment service's clock),
 *   in the configured offset from UTC; "today" is the local day of the device's wall clock.
 * - When a payment of a later day arrives, or the clock passes midnight, the day rolls over and
 *   the totals start at zero. A payment of an earlier day (delivered late) is not today's.
 * - The record keeps the highest journal sequence it has counted, so an entry announced again
 *   after a restart (journal recovery) is never counted twice.
 * - When the configured offset changes, the record's day is recomputed in the new offset from
 *   the confirmation time of its newest payment: the day's payments stay together, on that day.
 */
import type { KeyValueStore } from "../../hal/kv";
import type { Log } from "../../hal/log";
import { CborError, decodeCbor, encodeCbor, isCborMap, type CborValue } from "../protocol/cbor";
import type { JournalEntry } from "../payments/journal";
import { SOUNDBOX_DOMAIN } from "./volume";

const TOTALS_KEY = "today";
const DAY_MS = 86_400_000;
/** Currencies tracked per day; more is not a real shop, and the record stays small. */
export const MAX_CURRENCIES = 8;
/** Before this the wall clock has not been set (no SNTP yet), and cannot say what today is. */
const CLOCK_SET_AFTER = Date.UTC(2024, 0, 1);

export interface CurrencyTotal {
  currency: string;
  count: number;
  totalMinor: number;
}

export interface DayTotals {
  /** Days since 1970-01-01 in local time. */
  day: number;
  totals: CurrencyTotal[];
}

/** Days since 1970-01-01 of the local date at `epochMs`, `offsetMinutes` east of UTC. */
export function localDay(epochMs: number, offsetMinutes: number): number {
  return Math.floor((epochMs + offsetMinutes * 60_000) / DAY_MS);
}

interface Stored {
  day: number;
  /** Highest journal sequence already looked at. */
  sequence: number;
  /** The offset `day` was computed in, and the confirmation time of the newest payment counted. */
  offsetMinutes: number;
  lastAt: number;
  totals: CurrencyTotal[];
}

function decodeStored(value: ArrayBuffer): Stored | undefined {
  let m: CborValue;
  try {
    m = decodeCbor(new Uint8Array(value));
  } catch (error) {
    if (error instanceof CborError) return undefined;
    throw error;
  }
  if (!isCborMap(m) || m.v !== 1) return undefined;
  const { day, seq, tz, at, t } = m;
  if (typeof day !== "number" || typeof seq !== "number" || !Array.isArray(t) || t.length > MAX_CURRENCIES) return undefined;
  if (typeof tz !== "number" || typeof at !== "number") return undefined;
  const totals: CurrencyTotal[] = [];
  for (const row of t) {
    if (!Array.isArray(row) || row.length !== 3) return undefined;
    const [currency, count, totalMinor] = row;
    if (typeof currency !== "string" || typeof count !== "number" || typeof totalMinor !== "number") return undefined;
    totals.push({ currency, count, totalMinor });
  }
  return { day, sequence: seq, offsetMinutes: tz, lastAt: at, totals };
}

function encodeStored(stored: Stored): ArrayBuffer {
  const t = stored.totals.map((row) => [row.currency, row.count, row.totalMinor]);
  return encodeCbor({ v: 1, day: stored.day, seq: stored.sequence, tz: stored.offsetMinutes, at: stored.lastAt, t }).buffer as ArrayBuffer;
}

export class DailyTotals {
  readonly #kv: KeyValueStore;
  readonly #log: Log;
  readonly #offsetMinutes: number;
  #stored: Stored;

  /** `journalHead` is the newest sequence the journal holds (0 when empty). */
  constructor(kv: KeyValueStore, log: Log, offsetMinutes: number, journalHead: number) {
    this.#kv = kv;
    this.#log = log;
    this.#offsetMinutes = offsetMinutes;
    const raw = kv.get(SOUNDBOX_DOMAIN, TOTALS_KEY);
    const stored = raw instanceof ArrayBuffer ? decodeStored(raw) : undefined;
    if (raw !== undefined && !stored) log.event("warn", "totals-unreadable", { using: "zero" });
    this.#stored = stored ?? { day: 0, sequence: journalHead, offsetMinutes, lastAt: 0, totals: [] };
    if (this.#stored.offsetMinutes !== offsetMinutes) {
      const day = localDay(this.#stored.lastAt, offsetMinutes);
      log.event("info", "totals-offset-changed", { from: this.#stored.offsetMinutes, to: offsetMinutes, days: day - this.#stored.day });
      this.#stored = { ...this.#stored, day, offsetMinutes };
    }
    // A journal erased since (a factory reset of that domain) restarts its sequences: follow it.
    if (this.#stored.sequence > journalHead) this.#stored.sequence = journalHead;
  }

  /** Counts a journaled payment into its day, once. */
  record(entry: JournalEntry): void {
    const stored = this.#stored;
    if (entry.sequence <= stored.sequence) return;
    const c = entry.confirmation;
    const day = localDay(c.confirmedAt, this.#offsetMinutes);
    const next: Stored = { day: stored.day, sequence: entry.sequence, offsetMinutes: stored.offsetMinutes, lastAt: stored.lastAt, totals: stored.totals };
    if (day > stored.day) {
      next.day = day;
      next.totals = [];
    }
    if (day === next.day) {
      next.lastAt = Math.max(next.lastAt, c.confirmedAt);
      const row = next.totals.find((r) => r.currency === c.currency);
      if (row) {
        next.totals = next.totals.map((r) => (r === row ? { currency: r.currency, count: r.count + 1, totalMinor: r.totalMinor + c.amountMinor } : r));
      } else if (next.totals.length < MAX_CURRENCIES) {
        next.totals = next.totals.concat({ currency: c.currency, count: 1, totalMinor: c.amountMinor });
      } else {
        this.#log.event("warn", "totals-currency-dropped", { txn: c.transactionId, cur: c.currency });
      }
    } else {
      this.#log.event("info", "totals-earlier-day", { txn: c.transactionId, days: next.day - day });
    }
    try {
      this.#kv.set(SOUNDBOX_DOMAIN, TOTALS_KEY, encodeStored(next));
      this.#stored = next;
    } catch (error) {
      // Kept in memory so today's answer stays right until a restart; the next write retries.
      this.#stored = next;
      this.#log.event("error", "totals-not-saved", { txn: c.transactionId, detail: (error as Error).message });
    }
  }

  /** Today's totals, by the wall clock; empty after midnight until the next payment. */
  today(nowMs: number): DayTotals {
    const stored = this.#stored;
    const day = nowMs < CLOCK_SET_AFTER ? stored.day : localDay(nowMs, this.#offsetMinutes);
    return { day, totals: day === stored.day ? stored.totals.map((r) => ({ ...r })) : [] };
  }
}
