/** ISO 4217 currencies the terminals handle, with their minor-unit exponents. */
export interface CurrencyInfo {
  code: string;
  /** Digits after the decimal point (ISO 4217 "minor unit"). */
  exponent: number;
}

const CURRENCIES: Record<string, number> = {
  INR: 2, CNY: 2, THB: 2, IDR: 2, USD: 2, EUR: 2, GBP: 2, SGD: 2, MYR: 2, AED: 2, HKD: 2,
  NPR: 2, BDT: 2, LKR: 2, PHP: 2, VND: 0, JPY: 0, KRW: 0, AUD: 2, CAD: 2, BRL: 2, SAR: 2, QAR: 2,
};

export function currencyInfo(code: string): CurrencyInfo | undefined {
  const exponent = Object.prototype.hasOwnProperty.call(CURRENCIES, code) ? CURRENCIES[code] : undefined;
  return exponent === undefined ? undefined : { code, exponent };
}

/** Largest amount accepted, in minor units: 99,99,99,999 (just under ten crore rupees in paise). */
export const MAX_AMOUNT_MINOR = 9_999_999_999;

/** Splits minor units into whole and fractional parts for the given exponent. */
export function splitAmount(minor: number, exponent: number): { major: number; minor: number } {
  const scale = 10 ** exponent;
  return { major: Math.floor(minor / scale), minor: minor % scale };
}

/** "1234.50" for 123450 minor units at exponent 2. */
export function formatAmount(minor: number, exponent: number): string {
  const parts = splitAmount(minor, exponent);
  if (exponent === 0) return String(parts.major);
  return `${parts.major}.${String(parts.minor).padStart(exponent, "0")}`;
}

/**
 * "250", "250.5", "250.50" to minor units; refuses signs, exponents, separators, more decimals
 * than the currency has, and anything past MAX_AMOUNT_MINOR.
 */
export function parseAmount(text: string, exponent: number): number | undefined {
  const match = /^(\d{1,11})(?:\.(\d+))?$/.exec(text);
  if (!match) return undefined;
  const fraction = match[2] ?? "";
  if (fraction.length > exponent) return undefined;
  const minor = Number(match[1]) * 10 ** exponent + Number(fraction.padEnd(exponent, "0") || "0");
  return Number.isSafeInteger(minor) && minor <= MAX_AMOUNT_MINOR ? minor : undefined;
}
