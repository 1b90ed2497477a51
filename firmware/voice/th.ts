/**
 * Thai: "ได้รับเงิน หนึ่งหมื่นสองพันสามร้อยสี่สิบห้า บาท ผ่าน UPI". Places up to a million
 * have their own words (สิบ ร้อย พัน หมื่น แสน), and ล้าน repeats for larger numbers. Ten is
 * สิบ without หนึ่ง, twenty ยี่สิบ, and one after a tens word is เอ็ด (สิบเอ็ด, ยี่สิบเอ็ด).
 * These are the CLDR rules (ICU's th spell-out), which the oracle checks against.
 */
import { defineLanguage, VERB_FIRST_TEMPLATES, type CurrencyClips } from "./phrasing";

const PLACES = ["", "ten", "hundred", "thousand", "ten_thousand", "hundred_thousand"];

function belowMillion(n: number, out: string[]): void {
  const tens = Math.floor(n / 10) % 10;
  for (let place = 5; place >= 0; place--) {
    const digit = Math.floor(n / 10 ** place) % 10;
    if (digit === 0) continue;
    if (place === 1) {
      if (digit === 2) out.push("yi");
      else if (digit !== 1) out.push(`d${digit}`);
      out.push("ten");
    } else if (place === 0) out.push(digit === 1 && tens > 0 ? "et" : `d${digit}`);
    else out.push(`d${digit}`, PLACES[place]);
  }
}

export function thaiNumber(n: number): string[] {
  if (n === 0) return ["d0"];
  const out: string[] = [];
  const millions = Math.floor(n / 1e6);
  if (millions > 0) {
    for (const clip of thaiNumber(millions)) out.push(clip);
    out.push("million");
  }
  belowMillion(n % 1e6, out);
  return out;
}

const CURRENCIES: Readonly<Record<string, CurrencyClips>> = {
  THB: ["baht", "baht", "satang", "satang"],
  USD: ["dollars", "dollars", "cents", "cents"],
  INR: ["rupees", "rupees", "paise", "paise"],
};

export const thai = defineLanguage({
  code: "th",
  name: "ไทย",
  number: thaiNumber,
  currencies: CURRENCIES,
  payments: ["payments", "payments"],
  templates: VERB_FIRST_TEMPLATES,
});
