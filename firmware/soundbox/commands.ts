/**
 * The soundbox's commands (firmware/commands/README.md), for the merchant's support line or app:
 *
 *   replay  {count?: 1..20}   says the latest payments, newest first (count: the configured
 *                             replayCount when absent); returns {queued}
 *   summary {}                says today's summary; returns {date: "YYYY-MM-DD" (local),
 *                             totals: [{cur, count, total}]}
 *
 * Both queue behind live payments, as their buttons do; they never cut anything off.
 */
import type { CommandDispatcher } from "../commands/dispatcher";
import type { CborMap } from "../protocol/cbor";
import type { DayTotals } from "./daily-totals";
import { MAX_REPLAY_COUNT } from "./settings";
import type { Soundbox } from "./soundbox";

const DAY_MS = 86_400_000;

/** "2025-01-31" for a local day number. */
function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function totalsResult(today: DayTotals): CborMap {
  return {
    date: isoDate(today.day),
    totals: today.totals.map((row) => ({ cur: row.currency, count: row.count, total: row.totalMinor })),
  };
}

export function registerSoundboxCommands(commands: CommandDispatcher, soundbox: Soundbox): void {
  commands.register("replay", ({ args }) => {
    const count = args.optionalInteger("count", 1, MAX_REPLAY_COUNT);
    args.done();
    return { queued: soundbox.replay(count) };
  });
  commands.register("summary", ({ args }) => {
    args.done();
    return totalsResult(soundbox.summary());
  });
}
