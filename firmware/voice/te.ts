/**
 * Telugu: "UPI ద్వారా వెయ్యి రెండువందల ముప్పై నాలుగు రూపాయలు అందాయి". One thousand, one
 * lakh and one crore are said without "one" (వెయ్యి, లక్ష, కోటి); from two on the scale word is
 * plural (వేలు, లక్షలు, కోట్లు) and takes a joining form when more follows (వేల, లక్షల, కోట్ల),
 * as hundreds do (రెండువందల యాభై). A count ending in one before a scale word ends in ఒక
 * (ఇరవై ఒక వేలు). 21..99 are the tens then the unit (ఇరవై ఐదు).
 */
import { indianNumbers, type Scale } from "./indian-numbers";
import { defineLanguage, INDIAN_CURRENCIES, VERB_FINAL_TEMPLATES } from "./phrasing";

const ONE: Readonly<Record<Scale, string>> = { thousand: "thousand1", lakh: "lakh", crore: "crore" };
const MANY: Readonly<Record<Scale, string>> = { thousand: "thousand", lakh: "lakhs", crore: "crores" };

function belowHundred(n: number): string[] {
  return n <= 20 || n % 10 === 0 ? [`n${n}`] : [`n${n - (n % 10)}`, `n${n % 10}`];
}

export const telugu = defineLanguage({
  code: "te",
  name: "తెలుగు",
  number: indianNumbers({
    count: (count) => (count === 1 ? [] : count > 20 && count % 10 === 1 ? [`n${count - 1}`, "oka"] : belowHundred(count)),
    rest: belowHundred,
    scale: (scale, count, followed) => [count === 1 ? ONE[scale] : followed ? `${MANY[scale]}_c` : MANY[scale]],
    hundreds: (digit, followed) => [followed && digit > 1 ? `h${digit}c` : `h${digit}`],
  }),
  currencies: INDIAN_CURRENCIES,
  payments: ["payments", "payments"],
  templates: VERB_FINAL_TEMPLATES,
});
