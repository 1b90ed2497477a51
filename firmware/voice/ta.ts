/**
 * Tamil: "UPI மூலம் ஆயிரத்து இருநூற்று முப்பத்து நான்கு ரூபாய் பெறப்பட்டது". Hundreds,
 * thousands, lakhs and crores take a joining form when more follows (இருநூறு → இருநூற்று
 * ஐம்பது: 250 is not "200" + "50"), and a count before ஆயிரம் loses its final vowel
 * (இரண்டாயிரம்): clips "h<d>c", "thousand_c", "lakh_c", "crore_c", and "t<k>" for the counts
 * before ஆயிரம். One thousand is ஆயிரம் alone; one lakh and one crore are ஒரு லட்சம், ஒரு கோடி.
 * 21..99 are the tens' joining form ("c<tens>", இருபத்து) and the unit.
 */
import { indianNumbers } from "./indian-numbers";
import { defineLanguage, INDIAN_CURRENCIES, VERB_FINAL_TEMPLATES } from "./phrasing";

function compound(n: number, unit: (u: number) => string): string[] {
  if (n < 20 || n % 10 === 0) return [unit(n)];
  return [`c${n - (n % 10)}`, unit(n % 10)];
}

export const tamil = defineLanguage({
  code: "ta",
  name: "தமிழ்",
  number: indianNumbers({
    count: (count, scale) => {
      if (scale === "thousand") return count === 1 ? [] : compound(count, (k) => `t${k}`);
      return count === 1 ? ["oru"] : compound(count, (k) => `n${k}`);
    },
    scale: (scale, _count, followed) => [followed ? `${scale}_c` : scale],
    hundreds: (digit, followed) => [followed ? `h${digit}c` : `h${digit}`],
    rest: (n) => compound(n, (k) => `n${k}`),
  }),
  currencies: INDIAN_CURRENCIES,
  payments: ["payments", "payments"],
  templates: VERB_FINAL_TEMPLATES,
});
