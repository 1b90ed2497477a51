/**
 * Indonesian: "Diterima dua belas ribu tiga ratus empat puluh lima rupiah melalui UPI".
 * Clips: "n<k>" 0..19 and the tens 20..90, and "h<d>" d hundred (seratus, dua ratus...),
 * carry numerals, which a voice actor reads as the words; 21..99 are the tens then the unit,
 * and empat and enam after the tens open with a schwa (dua puluh əmpat), clips "n4c", "n6c".
 * ribu, juta, miliar, triliun are the scale words, seribu and sejuta one thousand and million.
 */
import { defineLanguage, VERB_FIRST_TEMPLATES, type CurrencyClips } from "./phrasing";

function belowThousand(n: number, out: string[]): void {
  const hundreds = Math.floor(n / 100);
  if (hundreds > 0) out.push(`h${hundreds}`);
  const rest = n % 100;
  if (rest === 0) return;
  if (rest < 20) {
    out.push(`n${rest}`);
    return;
  }
  const units = rest % 10;
  out.push(`n${rest - units}`);
  if (units > 0) out.push(units === 4 || units === 6 ? `n${units}c` : `n${units}`);
}

const SCALES: readonly [value: number, clip: string, one: string][] = [
  [1e12, "triliun", ""],
  [1e9, "miliar", ""],
  [1e6, "juta", "sejuta"],
  [1e3, "ribu", "seribu"],
];

export function indonesianNumber(n: number): string[] {
  if (n === 0) return ["n0"];
  const out: string[] = [];
  let rest = n;
  for (const [value, clip, one] of SCALES) {
    const count = Math.floor(rest / value);
    rest %= value;
    if (count === 0) continue;
    if (count === 1 && one) out.push(one);
    else {
      // Past 999 the count is itself a number with scale words (seribu triliun).
      if (count >= 1000) for (const c of indonesianNumber(count)) out.push(c);
      else belowThousand(count, out);
      out.push(clip);
    }
  }
  belowThousand(rest, out);
  return out;
}

const CURRENCIES: Readonly<Record<string, CurrencyClips>> = {
  IDR: ["rupiah", "rupiah", "sen", "sen"],
  USD: ["dollars", "dollars", "sen", "sen"],
  INR: ["rupees", "rupees", "paise", "paise"],
};

export const indonesian = defineLanguage({
  code: "id",
  name: "Bahasa Indonesia",
  number: indonesianNumber,
  currencies: CURRENCIES,
  payments: ["payments", "payments"],
  templates: VERB_FIRST_TEMPLATES,
});
