/**
 * Indian English: amounts in the Indian numbering system (thousand, lakh, crore), which the
 * stock en-IN synthesiser voices do not do, so this composes from word clips.
 */
import { splitAmount, type CurrencyInfo } from "../money";
import { providerClip, type CountTotalWords, type Language, type PaymentWords, type Prompt } from "./language";

const UNITS = ["", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11", "n12", "n13", "n14", "n15", "n16", "n17", "n18", "n19"];
const TENS = ["", "", "n20", "n30", "n40", "n50", "n60", "n70", "n80", "n90"];

function belowHundred(n: number, out: string[]): void {
  if (n < 20) {
    if (n > 0) out.push(UNITS[n]);
    return;
  }
  out.push(TENS[Math.floor(n / 10)]);
  if (n % 10) out.push(UNITS[n % 10]);
}

function belowThousand(n: number, out: string[]): void {
  if (n >= 100) {
    out.push(UNITS[Math.floor(n / 100)], "hundred");
    n %= 100;
  }
  belowHundred(n, out);
}

function indianInto(n: number, out: string[]): void {
  const crore = Math.floor(n / 10_000_000);
  if (crore) {
    // Past 99 crore the count of crores is itself an Indian number: "one thousand crore".
    if (crore >= 1000) indianInto(crore, out);
    else belowThousand(crore, out);
    out.push("crore");
  }
  const lakh = Math.floor((n % 10_000_000) / 100_000);
  if (lakh) {
    belowHundred(lakh, out);
    out.push("lakh");
  }
  const thousand = Math.floor((n % 100_000) / 1000);
  if (thousand) {
    belowHundred(thousand, out);
    out.push("thousand");
  }
  belowThousand(n % 1000, out);
}

/** Clip names for a whole number in the Indian system: 1,25,000 is "one lakh twenty five thousand". */
export function indianNumber(n: number): string[] {
  if (n === 0) return ["n0"];
  const out: string[] = [];
  indianInto(n, out);
  return out;
}

const CURRENCY_WORDS: Record<string, [one: string, many: string, minorOne: string, minorMany: string]> = {
  INR: ["rupee", "rupees", "paisa", "paise"],
  USD: ["dollar", "dollars", "cent", "cents"],
  CNY: ["yuan", "yuan", "fen", "fen"],
  THB: ["baht", "baht", "satang", "satang"],
  IDR: ["rupiah", "rupiah", "sen", "sen"],
};

/** "<n> rupees and <m> paise", singular where it should be. */
function amountWords(amountMinor: number, currency: CurrencyInfo): string[] {
  const words = CURRENCY_WORDS[currency.code];
  const { major, minor } = splitAmount(amountMinor, currency.exponent);
  const out: string[] = [];
  if (major > 0 || minor === 0) {
    out.push(...indianNumber(major));
    out.push(words ? (major === 1 ? words[0] : words[1]) : `cur_${currency.code.toLowerCase()}`);
  }
  if (minor > 0) {
    if (major > 0) out.push("and");
    out.push(...indianNumber(minor));
    if (words) out.push(minor === 1 ? words[2] : words[3]);
  }
  return out;
}

function countOf(count: number): string[] {
  return [...indianNumber(count), count === 1 ? "payment" : "payments"];
}

const PROMPT_CLIPS: Record<Prompt, string[]> = {
  ready: ["device_ready"],
  connected: ["connected"],
  no_network: ["no_network"],
  battery_low: ["battery_low"],
  charging: ["charging"],
};

export const englishIndia: Language = {
  code: "en-in",
  name: "English (India)",
  payment({ amountMinor, currency, provider }: PaymentWords): string[] {
    const via = providerClip(provider);
    return ["received", ...amountWords(amountMinor, currency), ...(via ? ["on", via] : [])];
  },
  offlineSummary({ count, totalMinor, currency }: CountTotalWords): string[] {
    return ["while_offline", "received", ...countOf(count), "total", ...amountWords(totalMinor, currency)];
  },
  burstSummary({ count, totalMinor, currency }: CountTotalWords): string[] {
    return ["received", ...countOf(count), "total", ...amountWords(totalMinor, currency)];
  },
  dailySummary({ count, totalMinor, currency }: CountTotalWords): string[] {
    if (count === 0) return ["today", "no_payments"];
    return ["today", ...countOf(count), "total", ...amountWords(totalMinor, currency)];
  },
  volume(level: number): string[] {
    return ["volume", ...indianNumber(level)];
  },
  prompt(prompt: Prompt): string[] {
    return PROMPT_CLIPS[prompt];
  },
  number: indianNumber,
};
