import type { AudioOut } from "../../hal/audio";
import type { Log } from "../../hal/log";
import { currencyInfo, formatAmount } from "../money";
import type { JournalEntry } from "../payments/journal";
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
}
