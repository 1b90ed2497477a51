/**
 * Every language's composer on XS, the engine the soundbox runs: known announcements word for
 * word, and a sweep of amounts, counts, volumes and prompts that must give clip names only
 * ([a-z0-9_]) without throwing. The oracle (test/unit/voice-oracle.test.ts) checks what the
 * words sound like; this checks the same code runs on the device's engine.
 */
import { currencyInfo, type CurrencyInfo } from "../../../firmware/money";
import { PROMPTS } from "../../../firmware/voice/language";
import { LANGUAGES, languageFor } from "../../../firmware/voice/languages";
import { assert, check, done, equal, info } from "./assert";

const INR = currencyInfo("INR") as CurrencyInfo;

function say(code: string, amountMinor: number, currency = INR, provider = "UPI"): string {
  const language = languageFor(code);
  assert(language, `no language ${code}`);
  return language.payment({ amountMinor, currency, provider }).join(" ");
}

check("fourteen languages", () => {
  equal(LANGUAGES.map((l) => l.code).sort().join(" "), "bn cmn en-in gu hi id kn ml mr or pa ta te th");
});

check("Hindi: lakh and crore, hundreds as one word, provider first", () => {
  equal(say("hi", 1_25_00_050), "prov_upi on n1 lakh n25 thousand rupees n50 paise received");
  equal(say("hi", 9_99_99_99_999), "prov_upi on n9 crore n99 lakh n99 thousand h9 n99 rupees n99 paise received");
  equal(say("hi", 100), "prov_upi on n1 rupee received");
});

check("Marathi: शंभर alone, एकशे before more", () => {
  equal(say("mr", 10000), "prov_upi on h1 rupees received");
  equal(say("mr", 15000), "prov_upi on h1c n50 rupees received");
});

check("Bengali: দু, ছ, ন before a scale word", () => {
  equal(say("bn", 2_00_000_00), "prov_upi on c2 lakh rupees received");
});

check("Telugu: one thousand without one, plural and joining scale words, ఒక", () => {
  equal(say("te", 1_000_00), "prov_upi on thousand1 rupees received");
  equal(say("te", 21_500_00), "prov_upi on n20 oka thousand_c h5 rupees received");
  equal(say("te", 2_00_000_00), "prov_upi on n2 lakhs rupees received");
});

check("Tamil: 250 is not 200 + 50; counts before ஆயிரம் lose their last vowel", () => {
  equal(say("ta", 250_00), "prov_upi on h2c n50 rupees received");
  equal(say("ta", 200_00), "prov_upi on h2 rupees received");
  equal(say("ta", 21_000_00), "prov_upi on c20 t1 thousand rupees received");
  equal(say("ta", 1_00_000_00), "prov_upi on oru lakh rupees received");
});

check("Malayalam: joining forms, counts before ആയിരം, ഒരുനൂറ് after a thousand", () => {
  equal(say("ml", 1_100_00), "prov_upi on thousand_c h1o rupees received");
  equal(say("ml", 21_000_00), "prov_upi on s20 v1 thousand rupees received");
  equal(say("ml", 85_00), "prov_upi on n85 rupees received");
});

check("Kannada: joining forms", () => {
  equal(say("kn", 2_101_00), "prov_upi on n2 thousand_c h1c n1 rupees received");
  equal(say("kn", 31_00), "prov_upi on c30_1 n1 rupees received");
});

check("Mandarin: 万, 零, 十 at the start, third-tone forms, 元角分, 两笔", () => {
  const cny = currencyInfo("CNY") as CurrencyInfo;
  equal(say("cmn", 1_000_500, cny, "Alipay"), "prov_alipay received d1 wan d0 d5 yuan");
  equal(say("cmn", 15_00, cny, "Alipay"), "prov_alipay received shi d5 yuan");
  equal(say("cmn", 555_05, cny, "Alipay"), "prov_alipay received d5_r bai_r d5_h shi d5 yuan d0 d5 fen");
  const mandarin = languageFor("cmn");
  assert(mandarin, "cmn");
  equal(mandarin.burstSummary({ count: 2, totalMinor: 100, currency: cny }).join(" "), "received liang bi total d1 yuan");
});

check("Thai: สิบ without หนึ่ง, ยี่สิบ, เอ็ด, ล้าน", () => {
  const thb = currencyInfo("THB") as CurrencyInfo;
  equal(say("th", 21_000_000_00, thb), "received yi ten et million baht via prov_upi");
  equal(say("th", 111_00, thb), "received d1 hundred ten et baht via prov_upi");
});

check("Indonesian: seribu, sejuta, belas, the schwa forms", () => {
  const idr = currencyInfo("IDR") as CurrencyInfo;
  equal(say("id", 1_001_000_00, idr), "received sejuta seribu rupiah via prov_upi");
  equal(say("id", 24_00, idr), "received n20 n4c rupiah via prov_upi");
});

check("every composer gives clip names for a sweep of amounts, summaries, volumes and prompts", () => {
  const currencies = ["INR", "USD", "CNY", "THB", "IDR", "EUR"].map((c) => currencyInfo(c) as CurrencyInfo);
  let said = 0;
  for (const language of LANGUAGES) {
    let amount = 1;
    for (let i = 0; i < 60; i++) {
      amount = (amount * 7919 + 104729) % 9_999_999_999 || 1;
      const currency = currencies[i % currencies.length];
      const lists = [
        language.payment({ amountMinor: amount, currency, provider: i % 3 ? "UPI" : "Acme Wallet" }),
        language.burstSummary({ count: 1 + (i % 40), totalMinor: amount * 37, currency }),
        language.dailySummary({ count: i % 5, totalMinor: amount, currency }),
        language.offlineSummary({ count: 1 + i, totalMinor: amount * 3, currency }),
      ];
      for (const clips of lists) {
        assert(clips.length > 0, `${language.code}: nothing said for ${amount}`);
        for (const clip of clips) assert(/^[a-z0-9_]+$/.test(clip), `${language.code}: clip name ${JSON.stringify(clip)} for ${amount}`);
        said++;
      }
    }
    for (let level = 0; level <= 15; level++) assert(language.volume(level).length > 1, `${language.code}: volume ${level}`);
    for (const prompt of PROMPTS) assert(language.prompt(prompt).length > 0, `${language.code}: prompt ${prompt}`);
  }
  info(`${said} announcements composed in ${LANGUAGES.length} languages`);
});

done();
