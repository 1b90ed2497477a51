/** Gujarati: "UPI પર એક હજાર બસો ચોત્રીસ રૂપિયા પચાસ પૈસા મળ્યા". */
import { indianNumbers } from "./indian-numbers";
import { defineLanguage, INDIAN_CURRENCIES_SINGULAR, VERB_FINAL_TEMPLATES } from "./phrasing";

export const gujarati = defineLanguage({
  code: "gu",
  name: "ગુજરાતી",
  number: indianNumbers({}),
  currencies: INDIAN_CURRENCIES_SINGULAR,
  payments: ["payments", "payments"],
  templates: VERB_FINAL_TEMPLATES,
});
