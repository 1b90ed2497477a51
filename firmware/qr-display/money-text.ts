/**
 * Amounts as the screen shows them: the currency's sign (or its code where the font has no
 * sign), digits grouped as the currency's home country groups them (lakh and crore for INR),
 * and exactly the currency's minor-unit digits.
 */
import { currencyInfo, splitAmount } from "../money";

const SIGNS: Record<string, string> = {
  INR: "\u20b9", EUR: "\u20ac", GBP: "\u00a3", JPY: "\u00a5", CNY: "\u00a5", THB: "\u0e3f", KRW: "\u20a9",
  USD: "$", SGD: "S$", HKD: "HK$", AUD: "A$", CAD: "C$", BRL: "R$",
};

/** Currencies grouped 12,34,567 rather than 1,234,567. */
const SOUTH_ASIAN_GROUPING = ["INR", "NPR", "BDT"];

function group(digits: string, southAsian: boolean): string {
  if (digits.length <= 3) return digits;
  const last = digits.slice(-3);
  let head = digits.slice(0, -3);
  const size = southAsian ? 2 : 3;
  const parts: string[] = [];
  while (head.length > size) {
    parts.unshift(head.slice(-size));
    head = head.slice(0, -size);
  }
  parts.unshift(head);
  return `${parts.join(",")},${last}`;
}

export function currencySign(currency: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(SIGNS, currency) ? SIGNS[currency] : undefined;
}

/** "₹1,23,456.50", "€1,234.50", "AED 12.00". Throws for a currency money.ts does not know. */
export function moneyText(minor: number, currency: string): string {
  const info = currencyInfo(currency);
  if (!info) throw new RangeError(`unknown currency ${currency}`);
  const parts = splitAmount(minor, info.exponent);
  const whole = group(String(parts.major), SOUTH_ASIAN_GROUPING.indexOf(currency) >= 0);
  const number = info.exponent === 0 ? whole : `${whole}.${String(parts.minor).padStart(info.exponent, "0")}`;
  const sign = currencySign(currency);
  return sign === undefined ? `${currency} ${number}` : `${sign}${number}`;
}
