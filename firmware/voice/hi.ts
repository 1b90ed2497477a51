/** Hindi: "UPI पर एक हज़ार दो सौ चौंतीस रुपये पचास पैसे प्राप्त हुए". */
import { indianNumbers } from "./indian-numbers";

const plain = indianNumbers({});

/** सत्रह on its own, and its lighter first vowel inside a longer number ("n17c"). */
function hindiNumber(n: number): string[] {
  return n === 17 ? ["n17"] : plain(n).map((clip) => (clip === "n17" ? "n17c" : clip));
}
import { defineLanguage, INDIAN_CURRENCIES_SINGULAR, VERB_FINAL_TEMPLATES } from "./phrasing";

export const hindi = defineLanguage({
  code: "hi",
  name: "हिन्दी",
  number: hindiNumber,
  currencies: INDIAN_CURRENCIES_SINGULAR,
  payments: ["payments", "payments"],
  templates: VERB_FINAL_TEMPLATES,
});
