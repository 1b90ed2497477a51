/**
 * The words of each utterance, from the merchant's language (firmware/voice): the soundbox
 * decides what to say and when, the language how to say it.
 */
import { currencyInfo, type CurrencyInfo } from "../money";
import type { PaymentConfirmation } from "../payments/confirmation";
import type { Language } from "../voice/language";
import type { DayTotals } from "./daily-totals";
import type { Sound, Tone } from "./player";
import type { Utterance } from "./speech-queue";

/** Said after the level when a volume press hits the end of the range. */
export const LIMIT_BEEP: Tone = { hz: 1760, ms: 120 };

function currency(code: string): CurrencyInfo {
  const info = currencyInfo(code);
  if (!info) throw new Error(`unsupported currency ${code}`);
  return info;
}

export function offlineSounds(language: Language, count: number, totalMinor: number, code: string): string[] {
  return language.offlineSummary({ count, totalMinor, currency: currency(code) });
}

export function paymentSounds(language: Language, c: PaymentConfirmation): string[] {
  return language.payment({ amountMinor: c.amountMinor, currency: currency(c.currency), provider: c.provider });
}

export interface PhraseSources {
  language: Language;
  /** Today's totals at the moment the summary is spoken. */
  today(): DayTotals;
  /** The currency of "no payments today". */
  homeCurrency: string;
}

export function composeUtterance(sources: PhraseSources, utterance: Utterance): readonly Sound[] {
  const language = sources.language;
  switch (utterance.kind) {
    case "payment":
    case "offline":
      return utterance.sounds;
    case "replay":
      return paymentSounds(language, utterance.entry.confirmation);
    case "burst":
      return language.burstSummary({ count: utterance.count, totalMinor: utterance.totalMinor, currency: currency(utterance.currency) });
    case "today": {
      const { totals } = sources.today();
      if (totals.length === 0) return language.dailySummary({ count: 0, totalMinor: 0, currency: currency(sources.homeCurrency) });
      const sounds: string[] = [];
      for (const row of totals) sounds.push(...language.dailySummary({ count: row.count, totalMinor: row.totalMinor, currency: currency(row.currency) }));
      return sounds;
    }
    case "volume": {
      const words: Sound[] = language.volume(utterance.level).slice();
      if (!utterance.changed) words.push(LIMIT_BEEP);
      return words;
    }
    case "status":
      return language.prompt(utterance.status);
  }
}
