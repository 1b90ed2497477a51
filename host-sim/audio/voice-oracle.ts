/**
 * The correctness oracle for spoken amounts (docs/voice.md, "The oracle").
 *
 * For each of N seeded random amounts, the numbers the announcement says (the major part and
 * the minor part; in Chinese yuan, jiao and fen) are composed from clips by the language, each
 * clip's text is phonemised by espeak-ng (`-q -x`) and the phonemes are concatenated. The
 * reference is espeak-ng reading the whole number, written in digits, in the same voice. For
 * Chinese and Thai, whose espeak-ng 1.51 number rules are wrong (Western grouping, digit by
 * digit), the reference is espeak-ng reading ICU's CLDR spell-out of the number instead.
 *
 * Both phoneme strings are compared after removing what marks word boundaries and nothing
 * else: whitespace, espeak's pause symbols (`_`, `_!`, `_|`, `_:`) and stress marks (`'`
 * primary, `,` secondary), which espeak assigns per word, so they move when one word is
 * split into two clips. Every other phoneme, vowel length and nasalisation included, must
 * be equal. The strict rate (stress marks kept) is reported beside it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { currencyInfo, splitAmount, type CurrencyInfo } from "../../firmware/money";
import type { Language } from "../../firmware/voice/language";
import { projectRoot } from "../paths";
import { phonemize } from "./espeak";
import { clipsOf, type ClipList } from "./voice-source";

/** How a language's reference reading is made. */
export type Reference =
  | { kind: "espeak-digits" }
  | { kind: "icu-spellout"; locale: string; ruleset?: string; transliterate?: Readonly<Record<string, string>> };

/**
 * espeak-ng 1.51's Mandarin voice reads most single hanzi as English letter names, so Chinese
 * goes through its pinyin voice (cmn-latn-pinyin): the reference spell-out is written in
 * pinyin with tone numbers, character by character, by this table of the number characters.
 */
export const NUMBER_HANZI_PINYIN: Readonly<Record<string, string>> = {
  零: "ling2", 一: "yi1", 二: "er4", 三: "san1", 四: "si4", 五: "wu3", 六: "liu4", 七: "qi1", 八: "ba1", 九: "jiu3",
  十: "shi2", 百: "bai3", 千: "qian1", 万: "wan4", 亿: "yi4",
};

export interface OracleLanguage {
  currency: string;
  reference: Reference;
}

/** The currency each language is checked in and where its reference reading comes from. */
export const ORACLE_LANGUAGES: Readonly<Record<string, OracleLanguage>> = {
  hi: { currency: "INR", reference: { kind: "espeak-digits" } },
  bn: { currency: "INR", reference: { kind: "espeak-digits" } },
  ta: { currency: "INR", reference: { kind: "espeak-digits" } },
  te: { currency: "INR", reference: { kind: "espeak-digits" } },
  mr: { currency: "INR", reference: { kind: "espeak-digits" } },
  gu: { currency: "INR", reference: { kind: "espeak-digits" } },
  kn: { currency: "INR", reference: { kind: "espeak-digits" } },
  ml: { currency: "INR", reference: { kind: "espeak-digits" } },
  pa: { currency: "INR", reference: { kind: "espeak-digits" } },
  or: { currency: "INR", reference: { kind: "espeak-digits" } },
  id: { currency: "IDR", reference: { kind: "espeak-digits" } },
  cmn: { currency: "CNY", reference: { kind: "icu-spellout", locale: "zh", ruleset: "%spellout-cardinal", transliterate: NUMBER_HANZI_PINYIN } },
  th: { currency: "THB", reference: { kind: "icu-spellout", locale: "th" } },
};

export const MAX_ORACLE_MINOR = 9_999_999_999;

/**
 * Seeded amounts in 1..99,99,99,999 minor units. The number of digits is drawn first (1 to
 * 10, evenly), then the amount among those with that many digits, so small amounts, where
 * the irregular words are, are as likely as large ones.
 */
export function oracleAmounts(seed: number, count: number): number[] {
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: small, seedable, the same on every machine.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const digits = 1 + Math.floor(next() * 10);
    const low = digits === 1 ? 1 : 10 ** (digits - 1);
    const high = Math.min(10 ** digits - 1, MAX_ORACLE_MINOR);
    out.push(low + Math.floor(next() * (high - low + 1)));
  }
  return out;
}

/** The whole numbers an announcement of this amount says, in order. */
export function spokenNumbers(language: string, amountMinor: number, currency: CurrencyInfo): number[] {
  const { major, minor } = splitAmount(amountMinor, currency.exponent);
  if (language === "cmn" && currency.code === "CNY") {
    const parts = [major > 0 || minor === 0 ? major : -1, Math.floor(minor / 10), minor % 10];
    return [parts[0], ...parts.slice(1).filter((n) => n > 0)].filter((n) => n >= 0);
  }
  return minor === 0 ? [major] : major === 0 ? [minor] : [major, minor];
}

export function normalizePhonemes(phonemes: string, strict = false): string {
  // Pauses first: "_" with its length marks (_! _| _:), never a following phoneme such as ";".
  const noBoundaries = phonemes.replace(/_[!|:]*/g, "").replace(/\s+/g, "");
  return strict ? noBoundaries : noBoundaries.replace(/['",%=]/g, "");
}

const SPELLOUT_SOURCE = join(projectRoot, "scripts", "icu-spellout.c");
const SPELLOUT_BINARY = join(projectRoot, "build", "tools", "icu-spellout");

/** ICU's spell-out of each number, via a small C program built once against the system's ICU. */
export function icuSpellout(locale: string, ruleset: string | undefined, numbers: readonly number[]): string[] {
  if (!existsSync(SPELLOUT_BINARY) || statSync(SPELLOUT_BINARY).mtimeMs < statSync(SPELLOUT_SOURCE).mtimeMs) {
    mkdirSync(join(projectRoot, "build", "tools"), { recursive: true });
    try {
      execFileSync("cc", ["-O2", "-o", SPELLOUT_BINARY, SPELLOUT_SOURCE, "-licui18n", "-licuuc"], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (error) {
      throw new Error(`cannot build ${SPELLOUT_SOURCE} (needs a C compiler and ICU headers: apt-get install -y gcc libicu-dev): ${(error as Error).message}`);
    }
  }
  const output = execFileSync(SPELLOUT_BINARY, ruleset ? [locale, ruleset] : [locale], { input: numbers.join("\n") + "\n", encoding: "utf8" });
  // ICU separates Thai words with zero-width spaces; espeak reads them as word boundaries.
  const lines = output.split("\n").slice(0, numbers.length).map((line) => line.replace(/\u200b/g, " "));
  if (lines.length !== numbers.length) throw new Error(`icu-spellout answered ${lines.length} lines for ${numbers.length} numbers`);
  return lines;
}

function transliterate(text: string, table: Readonly<Record<string, string>> | undefined): string {
  if (!table) return text;
  return [...text]
    .map((char) => {
      if (!Object.prototype.hasOwnProperty.call(table, char)) throw new Error(`no transliteration for ${JSON.stringify(char)} in ${JSON.stringify(text)}`);
      return table[char];
    })
    .join(" ");
}

export interface OracleMiss {
  amountMinor: number;
  number: number;
  clips: string[];
  expected: string;
  actual: string;
  reason: string;
}

export interface OracleResult {
  language: string;
  amounts: number;
  matched: number;
  /** Matched with stress marks kept too. */
  strictMatched: number;
  rate: number;
  strictRate: number;
  misses: OracleMiss[];
}

function containsInOrder(haystack: readonly string[], needles: readonly string[][]): boolean {
  let from = 0;
  for (const needle of needles) {
    let found = -1;
    for (let i = from; i + needle.length <= haystack.length && found < 0; i++)
      if (needle.every((clip, j) => haystack[i + j] === clip)) found = i;
    if (found < 0) return false;
    from = found + needle.length;
  }
  return true;
}

export function runOracle(language: Language, pack: ClipList, amounts: readonly number[]): OracleResult {
  const setup = ORACLE_LANGUAGES[language.code];
  if (!setup) throw new Error(`no oracle set up for ${language.code}`);
  const currency = currencyInfo(setup.currency) as CurrencyInfo;
  const cases = amounts.map((amountMinor) => {
    const numbers = spokenNumbers(language.code, amountMinor, currency);
    return { amountMinor, numbers, clips: numbers.map((n) => language.number(n)), announced: language.payment({ amountMinor, currency, provider: "UPI" }) };
  });
  const distinct = [...new Set(cases.flatMap((c) => c.numbers))];
  const reference0 = setup.reference;
  const referenceTexts = reference0.kind === "espeak-digits" ? distinct.map(String) : icuSpellout(reference0.locale, reference0.ruleset, distinct).map((text) => transliterate(text, reference0.transliterate));
  const referencePhonemes = phonemize(pack.espeakVoice, referenceTexts);
  const reference = new Map(distinct.map((n, i) => [n, referencePhonemes[i]]));
  const clips = clipsOf(pack);
  const clipPhonemes = new Map(phonemize(pack.espeakVoice, clips.map((clip) => clip.espeak)).map((p, i) => [clips[i].name, p]));

  const misses: OracleMiss[] = [];
  let matched = 0;
  let strictMatched = 0;
  for (const c of cases) {
    let ok = true;
    let strictOk = true;
    if (!containsInOrder(c.announced, c.clips)) {
      ok = strictOk = false;
      misses.push({ amountMinor: c.amountMinor, number: c.numbers[0], clips: c.announced, expected: c.clips.map((x) => x.join(" ")).join(" | "), actual: c.announced.join(" "), reason: "the announcement does not say these numbers in order" });
    }
    c.numbers.forEach((n, i) => {
      const clips = c.clips[i];
      const missing = clips.filter((clip) => !clipPhonemes.has(clip));
      const expected = reference.get(n) as string;
      if (missing.length) {
        ok = strictOk = false;
        misses.push({ amountMinor: c.amountMinor, number: n, clips, expected, actual: "", reason: `no clip ${missing.join(", ")} in the pack` });
        return;
      }
      const actual = clips.map((clip) => clipPhonemes.get(clip)).join(" ");
      if (normalizePhonemes(actual, true) !== normalizePhonemes(expected, true)) strictOk = false;
      if (normalizePhonemes(actual) !== normalizePhonemes(expected)) {
        ok = false;
        misses.push({ amountMinor: c.amountMinor, number: n, clips, expected, actual, reason: "phonemes differ" });
      }
    });
    if (ok) matched++;
    if (strictOk) strictMatched++;
  }
  return { language: language.code, amounts: amounts.length, matched, strictMatched, rate: matched / amounts.length, strictRate: strictMatched / amounts.length, misses };
}
