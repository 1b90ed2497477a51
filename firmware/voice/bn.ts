/** Bengali: "UPI মাধ্যমে এক হাজার দুশো চৌত্রিশ টাকা পঞ্চাশ পয়সা পাওয়া গেছে". */
import { indianNumbers } from "./indian-numbers";
import { defineLanguage, INDIAN_CURRENCIES, VERB_FINAL_TEMPLATES } from "./phrasing";

export const bengali = defineLanguage({
  code: "bn",
  name: "বাংলা",
  number: indianNumbers({
    // Two, six and nine shorten before হাজার, লাখ and কোটি: দু হাজার, ছ লাখ, ন কোটি.
    count: (k) => [k === 2 || k === 6 || k === 9 ? `c${k}` : `n${k}`],
  }),
  currencies: INDIAN_CURRENCIES,
  payments: ["payments", "payments"],
  templates: VERB_FINAL_TEMPLATES,
});
