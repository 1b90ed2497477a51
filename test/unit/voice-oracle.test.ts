/**
 * The oracle (host-sim/audio/voice-oracle.ts, docs/voice.md): for every language but Indian
 * English, 1,000 seeded random amounts composed from the pack's clips must sound, phoneme for
 * phoneme, like espeak-ng reading the whole number (or ICU's spell-out of it where espeak's
 * number rules are wrong), for at least 99% of the amounts.
 */
import { describe, expect, it } from "@jest/globals";
import { languageFor } from "../../firmware/voice/languages";
import { normalizePhonemes, ORACLE_LANGUAGES, oracleAmounts, runOracle, spokenNumbers } from "../../host-sim/audio/voice-oracle";
import { readClipList } from "../../host-sim/audio/voice-source";
import { currencyInfo } from "../../firmware/money";

export const ORACLE_SEED = 20240601;
const amounts = oracleAmounts(ORACLE_SEED, 1000);

describe("the oracle's own parts", () => {
  it("draws the same amounts for the same seed, all within 1..99,99,99,999, of every length", () => {
    expect(oracleAmounts(ORACLE_SEED, 1000)).toEqual(amounts);
    expect(oracleAmounts(ORACLE_SEED + 1, 1000)).not.toEqual(amounts);
    expect(Math.min(...amounts)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...amounts)).toBeLessThanOrEqual(9_999_999_999);
    const lengths = new Set(amounts.map((n) => String(n).length));
    expect([...lengths].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("removes word boundaries, pauses and stress, and nothing else", () => {
    expect(normalizePhonemes("'e:k h'VJa:r_! d'o:s'O:")).toBe("e:khVJa:rdo:sO:");
    expect(normalizePhonemes("'e:k h'VJa:r_! d'o:s'O:", true)).toBe("'e:kh'VJa:rd'o:s'O:");
    expect(normalizePhonemes("ji55_| w'A51n_|_!_|")).toBe("ji55wA51n");
    expect(normalizePhonemes("p'Vc:is")).not.toBe(normalizePhonemes("p'Vc:i:s"));
  });

  it("splits yuan into yuan, jiao and fen, and other currencies into major and minor", () => {
    expect(spokenNumbers("cmn", 123456, currencyInfo("CNY")!)).toEqual([1234, 5, 6]);
    expect(spokenNumbers("cmn", 123405, currencyInfo("CNY")!)).toEqual([1234, 5]);
    expect(spokenNumbers("cmn", 123450, currencyInfo("CNY")!)).toEqual([1234, 5]);
    expect(spokenNumbers("cmn", 5, currencyInfo("CNY")!)).toEqual([5]);
    expect(spokenNumbers("hi", 123405, currencyInfo("INR")!)).toEqual([1234, 5]);
    expect(spokenNumbers("hi", 100, currencyInfo("INR")!)).toEqual([1]);
    expect(spokenNumbers("hi", 7, currencyInfo("INR")!)).toEqual([7]);
  });

  it("fails a composer that groups thousands the Western way", () => {
    const hindi = languageFor("hi")!;
    // 2,50,000 as "two hundred fifty thousand" instead of "two lakh fifty thousand".
    const western = (n: number): string[] => (n >= 100_000 ? [...hindi.number(Math.floor(n / 1000)), "thousand", ...(n % 1000 ? hindi.number(n % 1000) : [])] : hindi.number(n));
    const wrong = { ...hindi, number: western, payment: (w: { amountMinor: number }) => [...western(Math.floor(w.amountMinor / 100)), "rupees", ...(w.amountMinor % 100 ? western(w.amountMinor % 100) : [])] };
    const result = runOracle(wrong, readClipList("hi"), [25_000_000, 25_000_050, 15_000]);
    expect(result.matched).toBe(1);
    expect(result.misses.map((m) => m.reason)).toContain("phonemes differ");
  });
});

describe.each(Object.keys(ORACLE_LANGUAGES).filter((code) => languageFor(code)))("%s", (code) => {
  it("says at least 99% of 1,000 random amounts as espeak-ng reads the number", () => {
    const result = runOracle(languageFor(code)!, readClipList(code), amounts);
    const misses = result.misses.slice(0, 20).map((m) => `${m.amountMinor} (${m.number}): ${m.reason}: ${m.clips.join(" ")}\n    expected ${m.expected}\n    got      ${m.actual}`);
    console.log(`${code}: ${result.matched}/${result.amounts} (${(result.rate * 100).toFixed(1)}%), strict ${(result.strictRate * 100).toFixed(1)}%${misses.length ? `; misses:\n  ${misses.join("\n  ")}` : ""}`);
    expect(result.rate).toBeGreaterThanOrEqual(0.99);
  });
});
