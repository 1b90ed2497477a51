/**
 * What to do with confirmations that arrive long after the payment: after an outage the broker
 * delivers everything it kept at once, and a burst of stale announcements helps no one. A
 * confirmation older than `lateAfterMs` when it arrives is journaled and acked as usual, but
 * folded into one "while you were offline" summary per currency, spoken once the burst has ended.
 */
import type { Timers, TimerHandle } from "../../hal/clock";
import type { JournalEntry } from "./journal";

export const DEFAULT_LATE_AFTER_MS = 5 * 60_000;
/** The summary waits this long after the last late arrival, so one outage gives one summary. */
export const LATE_QUIET_MS = 1500;

export interface LateSummary {
  currency: string;
  count: number;
  totalMinor: number;
}

export function isLate(entry: JournalEntry, lateAfterMs: number): boolean {
  return entry.receivedAt - entry.confirmation.confirmedAt > lateAfterMs;
}

export class LateFolder {
  readonly #pending = new Map<string, LateSummary>();
  #timer: TimerHandle | undefined;

  constructor(
    private readonly timers: Timers,
    private readonly onSummary: (summary: LateSummary) => void,
  ) {}

  add(entry: JournalEntry): void {
    const { currency, amountMinor } = entry.confirmation;
    const summary = this.#pending.get(currency) ?? { currency, count: 0, totalMinor: 0 };
    summary.count++;
    summary.totalMinor += amountMinor;
    this.#pending.set(currency, summary);
    if (this.#timer) this.timers.clear(this.#timer);
    this.#timer = this.timers.once(() => this.#flush(), LATE_QUIET_MS);
  }

  #flush(): void {
    this.#timer = undefined;
    const summaries = [...this.#pending.values()];
    this.#pending.clear();
    for (const summary of summaries) this.onSummary(summary);
  }
}
