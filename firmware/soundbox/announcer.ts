import type { AudioOut } from "../../hal/audio";
import type { Log } from "../../hal/log";
import { currencyInfo, formatAmount } from "../money";
import type { JournalEntry } from "../payments/journal";
import type { LateSummary } from "../payments/late-policy";
import type { Language } from "../voice/language";
import { Player } from "./player";

/** Step 6 on the soundbox: a journaled confirmation becomes a queued spoken announcement. */
export class Announcer {
  readonly #player: Player;
  readonly #log: Log;
  readonly #language: Language;

  constructor(audio: AudioOut, language: Language, log: Log) {
    this.#player = new Player(audio, log);
    this.#language = language;
    this.#log = log;
  }

  get depth(): number {
    return this.#player.depth;
  }

  announce(entry: JournalEntry): void {
    const c = entry.confirmation;
    const currency = currencyInfo(c.currency);
    if (!currency) throw new Error(`journal holds unsupported currency ${c.currency}`);
    const clips = this.#language.payment({ amountMinor: c.amountMinor, currency, provider: c.provider });
    this.#log.event("info", "announced", {
      txn: c.transactionId,
      amount: formatAmount(c.amountMinor, currency.exponent),
      cur: c.currency,
      lang: this.#language.code,
      clips: clips.join(" "),
    });
    this.#player.play({
      clips,
      onPlayed: () => this.#log.event("debug", "played", { txn: c.transactionId }),
    });
  }

  announceOfflineSummary(summary: LateSummary): void {
    const currency = currencyInfo(summary.currency);
    if (!currency) throw new Error(`journal holds unsupported currency ${summary.currency}`);
    const clips = this.#language.offlineSummary({ count: summary.count, totalMinor: summary.totalMinor, currency });
    this.#log.event("info", "offline-summary", {
      count: summary.count,
      total: formatAmount(summary.totalMinor, currency.exponent),
      cur: summary.currency,
      clips: clips.join(" "),
    });
    this.#player.play({ clips });
  }
}
