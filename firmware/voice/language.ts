/**
 * What a soundbox can say, as clip names of a voice pack. A language turns each announcement
 * into a list of clip names (lower-case ASCII, [a-z0-9_]); the pack (voice/<lang>/clips.json,
 * built into build/voice/<lang>/) maps each name to one recorded clip. The player plays the
 * clips back to back.
 *
 * The method names below are a contract between firmware/soundbox (which decides when to say
 * something) and firmware/voice (which decides the words): keep them stable.
 */
import type { CurrencyInfo } from "../money";

/** One confirmed payment. */
export interface PaymentWords {
  amountMinor: number;
  currency: CurrencyInfo;
  provider: string;
}

/** A number of payments and their total, in one currency. */
export interface CountTotalWords {
  count: number;
  totalMinor: number;
  currency: CurrencyInfo;
}

/** Short device prompts; each is one or two clips in every pack. */
export type Prompt = "ready" | "connected" | "no_network" | "battery_low" | "charging";

export const PROMPTS: readonly Prompt[] = ["ready", "connected", "no_network", "battery_low", "charging"];

export interface Language {
  /** Pack name and configuration value: "en-in", "hi", "cmn"... */
  readonly code: string;
  /** The language's own name, for menus and logs ("हिन्दी"). */
  readonly name: string;
  /** "Received 1,234 rupees and 50 paise on UPI." */
  payment(words: PaymentWords): string[];
  /** "While you were offline, received 3 payments, total 750 rupees." */
  offlineSummary(words: CountTotalWords): string[];
  /** Many payments folded into one announcement: "Received 12 payments, total 3,400 rupees." */
  burstSummary(words: CountTotalWords): string[];
  /** "Today: 42 payments, total 12,345 rupees." With count 0: "Today: no payments." */
  dailySummary(words: CountTotalWords): string[];
  /** "Volume 3." `level` is a whole number 0..99; the soundbox decides the range. */
  volume(level: number): string[];
  /** "Device ready", "Connected", "No network", "Battery low", "Charging". */
  prompt(prompt: Prompt): string[];
  /** A whole number >= 0 in the language's own numbering system, as clip names. */
  number(n: number): string[];
}

/**
 * Payment providers every pack names (clip `prov_<name>`). A provider outside this list is
 * announced without its name rather than with a clip the pack does not have.
 */
export const PROVIDERS: readonly string[] = ["upi", "paytm", "phonepe", "google_pay", "gpay", "bhim", "alipay", "wechat_pay", "card"];

/** "Google Pay" -> "prov_google_pay"; undefined when packs have no clip for it. */
export function providerClip(provider: string): string | undefined {
  const name = provider.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
  return PROVIDERS.indexOf(name) >= 0 ? `prov_${name}` : undefined;
}
