/**
 * Kannada: "UPI ಮೂಲಕ ಸಾವಿರದ ಇನ್ನೂರಾ ಮೂವತ್ತನಾಲ್ಕು ರೂಪಾಯಿ ಸ್ವೀಕರಿಸಲಾಗಿದೆ". Hundreds,
 * thousands and lakhs take a joining form when more follows: ನೂರು → ನೂರಾ ಒಂದು (101),
 * ಸಾವಿರ → ಸಾವಿರದ (1,001), ಲಕ್ಷ → ಲಕ್ಷದ; each is its own clip ("h<d>c", "thousand_c",
 * "lakh_c"). 21..99 are a joining form of the tens ("c<tens>", ಇಪ್ಪತ್ತ) and the unit.
 */
import { indianNumbers } from "./indian-numbers";
import { defineLanguage, INDIAN_CURRENCIES, VERB_FINAL_TEMPLATES } from "./phrasing";

function belowHundred(n: number): string[] {
  if (n < 20 || n % 10 === 0) return [`n${n}`];
  const tens = n - (n % 10);
  // The tens word keeps its double consonant before ಒಂದು, and ತೊಂಬತ್ತ before ಎರಡು too.
  const long = n % 10 === 1 || n === 92;
  return [long ? `c${tens}_1` : `c${tens}`, `n${n % 10}`];
}

export const kannada = defineLanguage({
  code: "kn",
  name: "ಕನ್ನಡ",
  number: indianNumbers({
    count: belowHundred,
    rest: belowHundred,
    hundreds: (digit, followed) => [followed ? `h${digit}c` : `h${digit}`],
    scale: (scale, _count, followed) => [scale !== "crore" && followed ? `${scale}_c` : scale],
  }),
  currencies: INDIAN_CURRENCIES,
  payments: ["payments", "payments"],
  templates: VERB_FINAL_TEMPLATES,
});
