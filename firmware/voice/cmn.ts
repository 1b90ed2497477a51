/**
 * Mandarin Chinese: "支付宝到账一万二千三百四十五元六角七分". Numbers group by 万 (10^4)
 * and 亿 (10^8); inside a group 千 百 十; zeros between said digits collapse into one 零, and a
 * group below a thousand after a higher one starts with 零 (一万零五). 10..19 at the very start
 * say 十 without 一 (十五, 十万), elsewhere 一十 (一百一十). These are the CLDR rules
 * (ICU's zh %spellout-cardinal), which the oracle checks against.
 *
 * Third-tone syllables change tone with what follows (tone sandhi): 五, 九 and 百 have a form for
 * the end of a number (214), before another syllable (21, "_h") and before another third tone
 * (35, "_r": 五百 wǔ bǎi → wú bǎi). Each form is its own clip.
 */
import { splitAmount, type CurrencyInfo } from "../money";
import { defineLanguage, VERB_FIRST_TEMPLATES, type CurrencyClips } from "./phrasing";

const THIRD_TONE = ["d5", "d9", "bai"];
const UNITS = ["", "shi", "bai", "qian"];

function group(n: number, atStart: boolean, out: string[]): void {
  let zero = false;
  let said = false;
  for (let position = 3; position >= 0; position--) {
    const digit = Math.floor(n / 10 ** position) % 10;
    if (digit === 0) {
      if (said) zero = true;
      continue;
    }
    if (zero) out.push("d0");
    zero = false;
    if (position === 1 && digit === 1 && !said && atStart) out.push("shi");
    else {
      out.push(`d${digit}`);
      if (position > 0) out.push(UNITS[position]);
    }
    said = true;
  }
}

function plainNumber(n: number, out: string[], atStart: boolean): void {
  const parts: readonly [value: number, unit: string][] = [
    [Math.floor(n / 1e8), "yi"],
    [Math.floor(n / 1e4) % 1e4, "wan"],
    [n % 1e4, ""],
  ];
  let said = false;
  let gap = false;
  for (const [value, unit] of parts) {
    if (value === 0) {
      if (said) gap = true;
      continue;
    }
    if (said && (gap || value < 1000)) out.push("d0");
    // More than 9999 亿 is itself a number of 亿 (一万亿).
    if (unit === "yi" && value >= 1e4) plainNumber(value, out, !said && atStart);
    else group(value, !said && atStart, out);
    if (unit) out.push(unit);
    said = true;
    gap = false;
  }
}

/** Tone sandhi on the third-tone clips, from what follows each. */
function sandhi(clips: string[]): string[] {
  return clips.map((clip, i) => {
    if (THIRD_TONE.indexOf(clip) < 0 || i === clips.length - 1) return clip;
    return THIRD_TONE.indexOf(clips[i + 1]) >= 0 ? `${clip}_r` : `${clip}_h`;
  });
}

export function chineseNumber(n: number): string[] {
  if (n === 0) return ["d0"];
  const out: string[] = [];
  plainNumber(n, out, true);
  return sandhi(out);
}

const CURRENCIES: Readonly<Record<string, CurrencyClips>> = {
  USD: ["usd", "usd", "us_cent", "us_cent"],
  INR: ["inr", "inr", "inr_paisa", "inr_paisa"],
};

/** 元, then 角 and 分 each with its own digit; 零 before 分 when 角 is zero (十二元零五分). */
function yuan(amountMinor: number, currency: CurrencyInfo): string[] | undefined {
  if (currency.code !== "CNY") return undefined;
  const { major, minor } = splitAmount(amountMinor, currency.exponent);
  const jiao = Math.floor(minor / 10);
  const fen = minor % 10;
  const out: string[] = [];
  if (major > 0 || minor === 0) out.push(...chineseNumber(major), "yuan");
  if (jiao > 0) out.push(...chineseNumber(jiao), "jiao");
  if (fen > 0) {
    if (jiao === 0 && major > 0) out.push("d0");
    out.push(...chineseNumber(fen), "fen");
  }
  return out;
}

export const mandarin = defineLanguage({
  code: "cmn",
  name: "中文（普通话）",
  number: chineseNumber,
  amount(amountMinor, currency) {
    return yuan(amountMinor, currency) ?? mandarinDefault(amountMinor, currency);
  },
  // Two of something is 两 (两笔), not 二.
  countNumber: (n) => (n === 2 ? ["liang"] : chineseNumber(n)),
  currencies: CURRENCIES,
  payments: ["bi", "bi"],
  // The provider opens the sentence: 支付宝到账….
  templates: { ...VERB_FIRST_TEMPLATES, payment: [["{provider}"], "received", "{amount}"] },
});

function mandarinDefault(amountMinor: number, currency: CurrencyInfo): string[] {
  const words = Object.prototype.hasOwnProperty.call(CURRENCIES, currency.code) ? CURRENCIES[currency.code] : undefined;
  const { major, minor } = splitAmount(amountMinor, currency.exponent);
  const out: string[] = [];
  if (major > 0 || minor === 0) out.push(...chineseNumber(major), words ? words[1] : `cur_${currency.code.toLowerCase()}`);
  if (minor > 0) {
    out.push(...chineseNumber(minor));
    if (words) out.push(words[3]);
  }
  return out;
}
