/**
 * Sentence assembly shared by the composers: a language gives its number words, its currency
 * words and its sentence templates; this turns an announcement into clip names.
 *
 * A template is a list of clip names and slots. Slots: "{amount}" (the amount with currency
 * words), "{provider}" (the provider's clip), "{count}" (the count of payments with the noun in
 * the right number), "{level}" (the volume level). A nested list is an optional group that is
 * left out when its "{provider}" is unknown to the packs.
 */
import { splitAmount, type CurrencyInfo } from "../money";
import { providerClip, type CountTotalWords, type Language, type PaymentWords, type Prompt } from "./language";

export type Template = readonly (string | readonly string[])[];

/** Clip names of a currency: [one major, many major, one minor, many minor]. */
export type CurrencyClips = readonly [string, string, string, string];

/** Rupees and dollars where the noun has no singular form after "one" (one clip each). */
export const INDIAN_CURRENCIES: Readonly<Record<string, CurrencyClips>> = {
  INR: ["rupees", "rupees", "paise", "paise"],
  USD: ["dollars", "dollars", "cents", "cents"],
};

/** Rupees with a singular after "one" (रुपया, रुपये). */
export const INDIAN_CURRENCIES_SINGULAR: Readonly<Record<string, CurrencyClips>> = {
  INR: ["rupee", "rupees", "paisa", "paise"],
  USD: ["dollars", "dollars", "cents", "cents"],
};

export interface Phrasing {
  code: string;
  name: string;
  number(n: number): string[];
  /**
   * Currency words the pack has. A currency outside this table is said with the clip
   * `cur_<code>` (a pack may add it; without it the number is said alone).
   */
  currencies: Readonly<Record<string, CurrencyClips>>;
  /** Overrides the default "<major> <unit> [and] <minor> <minor unit>" (Chinese 元角分). */
  amount?(amountMinor: number, currency: CurrencyInfo): string[];
  /** Clip between the major and the minor part, if the language says one ("and"). */
  and?: string;
  /** A count of payments, when it is said differently from a plain number (Chinese 两笔). */
  countNumber?(n: number): string[];
  /** The noun after a count: [one, many] ("payment", "payments"). */
  payments: readonly [string, string];
  templates: {
    payment: Template;
    offlineSummary: Template;
    burstSummary: Template;
    dailySummary: Template;
    dailyNone: Template;
    volume: Template;
    prompts: Readonly<Record<Prompt, Template>>;
  };
}

/** "<n> rupees and <m> paise", the unit singular after one; unknown currencies use `cur_<code>`. */
export function defaultAmount(phrasing: Phrasing, amountMinor: number, currency: CurrencyInfo): string[] {
  const words = Object.prototype.hasOwnProperty.call(phrasing.currencies, currency.code) ? phrasing.currencies[currency.code] : undefined;
  const { major, minor } = splitAmount(amountMinor, currency.exponent);
  const out: string[] = [];
  if (major > 0 || minor === 0) {
    for (const clip of phrasing.number(major)) out.push(clip);
    out.push(words ? (major === 1 ? words[0] : words[1]) : `cur_${currency.code.toLowerCase()}`);
  }
  if (minor > 0) {
    if (major > 0 && phrasing.and) out.push(phrasing.and);
    for (const clip of phrasing.number(minor)) out.push(clip);
    if (words) out.push(minor === 1 ? words[2] : words[3]);
  }
  return out;
}

interface Slots {
  amount?: string[];
  provider?: string;
  count?: string[];
  level?: string[];
}

function fill(template: Template, slots: Slots): string[] {
  const out: string[] = [];
  for (const token of template) {
    if (typeof token !== "string") {
      if (slots.provider !== undefined) for (const clip of fill(token, slots)) out.push(clip);
      continue;
    }
    const slot = token === "{amount}" ? slots.amount : token === "{count}" ? slots.count : token === "{level}" ? slots.level : token === "{provider}" ? (slots.provider === undefined ? [] : [slots.provider]) : undefined;
    if (slot) for (const clip of slot) out.push(clip);
    else out.push(token);
  }
  return out;
}

export function defineLanguage(phrasing: Phrasing): Language {
  const amount = (amountMinor: number, currency: CurrencyInfo) =>
    phrasing.amount ? phrasing.amount(amountMinor, currency) : defaultAmount(phrasing, amountMinor, currency);
  const countNumber = phrasing.countNumber ?? phrasing.number;
  const count = (n: number) => [...countNumber(n), n === 1 ? phrasing.payments[0] : phrasing.payments[1]];
  const t = phrasing.templates;
  const summary = (template: Template, w: CountTotalWords) => fill(template, { count: count(w.count), amount: amount(w.totalMinor, w.currency) });
  return {
    code: phrasing.code,
    name: phrasing.name,
    payment: (w: PaymentWords) => fill(t.payment, { amount: amount(w.amountMinor, w.currency), provider: providerClip(w.provider) }),
    offlineSummary: (w: CountTotalWords) => summary(t.offlineSummary, w),
    burstSummary: (w: CountTotalWords) => summary(t.burstSummary, w),
    dailySummary: (w: CountTotalWords) => (w.count === 0 ? fill(t.dailyNone, {}) : summary(t.dailySummary, w)),
    volume: (level: number) => fill(t.volume, { level: phrasing.number(level) }),
    prompt: (prompt: Prompt) => fill(t.prompts[prompt], {}),
    number: phrasing.number,
  };
}

/** What every language says the same way, in the same clips: today's summary, the volume, the prompts. */
const SHARED_TEMPLATES: Pick<Phrasing["templates"], "dailySummary" | "dailyNone" | "volume" | "prompts"> = {
  dailySummary: ["today", "{count}", "total", "{amount}"],
  dailyNone: ["today", "no_payments"],
  volume: ["volume", "{level}"],
  prompts: { ready: ["device_ready"], connected: ["connected"], no_network: ["no_network"], battery_low: ["battery_low"], charging: ["charging"] },
};

/** Word order of the Indian languages: "[UPI on] <amount> received", "<count> received total <amount>". */
export const VERB_FINAL_TEMPLATES: Phrasing["templates"] = {
  ...SHARED_TEMPLATES,
  payment: [["{provider}", "on"], "{amount}", "received"],
  offlineSummary: ["while_offline", "{count}", "received", "total", "{amount}"],
  burstSummary: ["{count}", "received", "total", "{amount}"],
};

/** Word order of Thai and Indonesian: "received <amount> [via UPI]", "received <count> total <amount>". */
export const VERB_FIRST_TEMPLATES: Phrasing["templates"] = {
  ...SHARED_TEMPLATES,
  payment: ["received", "{amount}", ["via", "{provider}"]],
  offlineSummary: ["while_offline", "received", "{count}", "total", "{amount}"],
  burstSummary: ["received", "{count}", "total", "{amount}"],
};
