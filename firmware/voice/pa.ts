/** Punjabi: "UPI ਤੇ ਇੱਕ ਹਜ਼ਾਰ ਦੋ ਸੌ ਚੌਂਤੀ ਰੁਪਏ ਪੰਜਾਹ ਪੈਸੇ ਪ੍ਰਾਪਤ ਹੋਏ". */
import { indianNumbers } from "./indian-numbers";
import { defineLanguage, INDIAN_CURRENCIES_SINGULAR, VERB_FINAL_TEMPLATES } from "./phrasing";

export const punjabi = defineLanguage({
  code: "pa",
  name: "ਪੰਜਾਬੀ",
  number: indianNumbers({}),
  currencies: INDIAN_CURRENCIES_SINGULAR,
  payments: ["payments", "payments"],
  templates: VERB_FINAL_TEMPLATES,
});
