/**
 * Malayalam: "UPI വഴി ആയിരത്തി ഇരുനൂറ്റി മുപ്പത്തിനാല് രൂപ ലഭിച്ചു". Hundreds, thousands
 * and lakhs take a joining form when more follows (ഇരുനൂറ് → ഇരുനൂറ്റി അമ്പത്), and a count
 * before ആയിരം takes a short form (രണ്ടായിരം, പത്തായിരം): clips "h<d>c", "thousand_c",
 * "lakh_c", and "t<k>" for counts before ആയിരം. 21..99 are the tens' joining form
 * ("c<tens>", ഇരുപത്തി) and the unit, except 81, 82 and 85..89 (എൺപത്തഞ്ച്), whole clips.
 * Before ആയിരം, 21..99 are the tens' stem ("s<tens>", ഇരുപ) and a unit form that carries the
 * tens' double consonant ("v<unit>" ത്തൊന്ന്, "w<unit>" റ്റൊന്ന് after തൊണ്ണൂ): espeak-ng's
 * phoneme input cannot end a clip on that consonant. One thousand is ആയിരം alone, and a hundred
 * after a higher part is ഒരുനൂറ് ("h1o", "h1co").
 */
import { indianNumbers } from "./indian-numbers";
import { defineLanguage, INDIAN_CURRENCIES, VERB_FINAL_TEMPLATES } from "./phrasing";

function belowHundred(n: number): string[] {
  if (n < 20 || n % 10 === 0 || (n > 80 && n < 90 && n !== 83 && n !== 84)) return [`n${n}`];
  return [`c${n - (n % 10)}`, `n${n % 10}`];
}

function beforeThousand(n: number): string[] {
  if (n === 1) return [];
  if (n < 20 || n % 10 === 0) return [`t${n}`];
  const unit = n % 10;
  return [`s${n - unit}`, n > 90 ? `w${unit}` : `v${unit}`];
}

export const malayalam = defineLanguage({
  code: "ml",
  name: "മലയാളം",
  number: indianNumbers({
    count: (count, scale) => (scale === "thousand" ? beforeThousand(count) : belowHundred(count)),
    scale: (scale, _count, followed) => [scale !== "crore" && followed ? `${scale}_c` : scale],
    hundreds: (digit, followed, preceded) => [`h${digit}${followed ? "c" : ""}${digit === 1 && preceded ? "o" : ""}`],
    rest: belowHundred,
  }),
  currencies: INDIAN_CURRENCIES,
  payments: ["payments", "payments"],
  templates: VERB_FINAL_TEMPLATES,
});
