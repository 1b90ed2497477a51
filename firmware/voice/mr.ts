/** Marathi: "UPI वर एक हजार दोनशे चौतीस रुपये पन्नास पैसे मिळाले". A hundred is शंभर on its own and एकशे before more (एकशे पन्नास). */
import { indianNumbers } from "./indian-numbers";
import { defineLanguage, INDIAN_CURRENCIES_SINGULAR, VERB_FINAL_TEMPLATES } from "./phrasing";

export const marathi = defineLanguage({
  code: "mr",
  name: "मराठी",
  number: indianNumbers({
  hundreds: (digit, followed) => [digit === 1 && followed ? "h1c" : `h${digit}`],
}),
  currencies: INDIAN_CURRENCIES_SINGULAR,
  payments: ["payments", "payments"],
  templates: VERB_FINAL_TEMPLATES,
});
