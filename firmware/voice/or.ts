/** Odia: "UPI ମାଧ୍ୟମରେ ଏକ ହଜାର ଦୁଇଶହ ଚଉତିରିଶି ଟଙ୍କା ପଚାଶ ପଇସା ମିଳିଲା". */
import { indianNumbers } from "./indian-numbers";
import { defineLanguage, INDIAN_CURRENCIES, VERB_FINAL_TEMPLATES } from "./phrasing";

export const odia = defineLanguage({
  code: "or",
  name: "ଓଡ଼ିଆ",
  number: indianNumbers({}),
  currencies: INDIAN_CURRENCIES,
  payments: ["payments", "payments"],
  templates: VERB_FINAL_TEMPLATES,
});
