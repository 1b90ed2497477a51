/**
 * Every language against its voice pack: each clip name any announcement can use is in
 * voice/<lang>/clips.json (a missing clip would be skipped on the device, leaving a hole in
 * the sentence), and each clip in the list is used by some announcement (an unused clip costs
 * flash for nothing). Plus the simulator's refusal of a language it does not have.
 */
import { describe, expect, it } from "@jest/globals";
import { currencyInfo, type CurrencyInfo } from "../../firmware/money";
import { PROMPTS, PROVIDERS } from "../../firmware/voice/language";
import { LANGUAGES } from "../../firmware/voice/languages";
import { oracleAmounts } from "../../host-sim/audio/voice-oracle";
import { readClipList, sourceLanguages } from "../../host-sim/audio/voice-source";
import { startCommand } from "../../host-sim/cli/start";
import { UsageError } from "../../host-sim/cli/args";

const EDGES = [1, 7, 99, 100, 101, 110, 150, 999, 1000, 1001, 1100, 10000, 100000, 100100, 10000000, 10000001, 12345678, 9999999999, 123456789012];
const AMOUNTS = [...EDGES, ...oracleAmounts(7, 3000)];
/** Every number below 10^5, and every count of lakhs, crores, millions and 万 with and without more after. */
const NUMBERS = [
  ...Array.from({ length: 100_000 }, (_, n) => n),
  ...Array.from({ length: 99 }, (_, i) => i + 1).flatMap((k) =>
    [1e5, 1e6, 1e7, 1e8, 1e9, 1e12].flatMap((scale) => [k * scale, k * scale + 1, k * scale + 150, k * scale + 25_000])),
];
const CURRENCIES = ["INR", "USD", "CNY", "THB", "IDR"].map((code) => currencyInfo(code) as CurrencyInfo);

function everyClip(code: string): Set<string> {
  const language = LANGUAGES.find((l) => l.code === code)!;
  const used = new Set<string>();
  const add = (clips: string[]) => clips.forEach((clip) => used.add(clip));
  AMOUNTS.forEach((amountMinor, i) => {
    for (const currency of CURRENCIES) add(language.payment({ amountMinor, currency, provider: PROVIDERS[i % PROVIDERS.length] }));
    const currency = CURRENCIES[i % CURRENCIES.length];
    add(language.burstSummary({ count: 1 + (i % 120), totalMinor: amountMinor * 3, currency }));
    add(language.dailySummary({ count: i % 4, totalMinor: amountMinor, currency }));
    add(language.offlineSummary({ count: 1 + (i % 9), totalMinor: amountMinor, currency }));
  });
  for (const n of NUMBERS) add(language.number(n));
  for (let level = 0; level <= 20; level++) add(language.volume(level));
  for (const prompt of PROMPTS) add(language.prompt(prompt));
  return used;
}

describe("languages and their packs", () => {
  it("there is a pack for every language and a language for every pack", () => {
    expect(LANGUAGES.map((l) => l.code).sort()).toEqual(sourceLanguages());
    expect(LANGUAGES).toHaveLength(14);
  });

  it.each(LANGUAGES.map((l) => l.code))("%s: every clip it says is in the pack, and every clip in the pack is said", (code) => {
    const pack = readClipList(code);
    const used = everyClip(code);
    const missing = [...used].filter((clip) => !(clip in pack.clips) && !/^cur_/.test(clip));
    const unused = Object.keys(pack.clips).filter((clip) => !used.has(clip));
    expect({ missing, unused }).toEqual({ missing: [], unused: [] });
  });

  it("an unknown currency is said with its cur_<code> clip, which a pack may add", () => {
    const hindi = LANGUAGES.find((l) => l.code === "hi")!;
    expect(hindi.payment({ amountMinor: 1000, currency: currencyInfo("EUR")!, provider: "card" })).toEqual(["prov_card", "on", "n10", "cur_eur", "received"]);
  });
});

describe("payterm start --lang", () => {
  it("refuses a language it has no composer for, naming the ones it has", async () => {
    await expect(startCommand.run(["--lang", "fr"])).rejects.toThrow(UsageError);
    await expect(startCommand.run(["--lang", "fr"])).rejects.toThrow(/--lang must be one of en-in, hi, .*id; got "fr"/);
  });
});
