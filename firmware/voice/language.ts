import type { CurrencyInfo } from "../money";

/** What a soundbox says for one confirmed payment. */
export interface PaymentWords {
  amountMinor: number;
  currency: CurrencyInfo;
  provider: string;
}

/**
 * A language turns announcements into clip names of its voice pack. Clip names are
 * lower-case ASCII ([a-z0-9_]); the pack maps each to one recorded clip.
 */
export interface OfflineSummaryWords {
  count: number;
  totalMinor: number;
  currency: CurrencyInfo;
}

export interface Language {
  readonly code: string;
  payment(words: PaymentWords): string[];
  /** "While you were offline, received 3 payments, total 750 rupees." */
  offlineSummary(words: OfflineSummaryWords): string[];
}

/** "Google Pay" -> "google_pay": the clip name of a provider, if the pack has it. */
export function providerClip(provider: string): string {
  return `prov_${provider.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "")}`;
}
