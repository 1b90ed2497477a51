/** Hindi: "UPI पर एक हज़ार दो सौ चौंतीस रुपये पचास पैसे प्राप्त हुए". */
import { indianNumbers } from "./indian-numbers";
import { defineLanguage, INDIAN_CURRENCIES_SINGULAR, VERB_FINAL_TEMPLATES } from "./phrasing";

export const hindi = defineLanguage({
  code: "hi",
  name: "हिन्दी",
  number: indianNumbers({}),
  currencies: INDIAN_CURRENCIES_SINGULAR,
  payments: ["payments", "payments"],
  templates: VERB_FINAL_TEMPLATES,
});
