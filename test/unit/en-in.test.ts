import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { currencyInfo, formatAmount, parseAmount } from "../../firmware/money";
import { englishIndia, indianNumber } from "../../firmware/voice/en-in";

const words = (n: number) => indianNumber(n).map((clip) => clip.replace(/^n(\d+)$/, "<$1>")).join(" ");

describe("Indian English numbers (thousand, lakh, crore)", () => {
  it.each([
    [0, "<0>"],
    [7, "<7>"],
    [19, "<19>"],
    [20, "<20>"],
    [99, "<90> <9>"],
    [100, "<1> hundred"],
    [250, "<2> hundred <50>"],
    [1005, "<1> thousand <5>"],
    [12345, "<12> thousand <3> hundred <40> <5>"],
    [100000, "<1> lakh"],
    [250000, "<2> lakh <50> thousand"],
    [1234567, "<12> lakh <30> <4> thousand <5> hundred <60> <7>"],
    [10000000, "<1> crore"],
    [99999999, "<9> crore <90> <9> lakh <90> <9> thousand <9> hundred <90> <9>"],
  ])("%d is %s", (n, expected) => {
    expect(words(n)).toBe(expected);
  });

  it("says rupees and paise, singular where it should, and the provider", () => {
    const inr = currencyInfo("INR")!;
    expect(englishIndia.payment({ amountMinor: 123450, currency: inr, provider: "UPI" }).join(" ")).toBe(
      "received n1 thousand n2 hundred n30 n4 rupees and n50 paise on prov_upi",
    );
    expect(englishIndia.payment({ amountMinor: 100, currency: inr, provider: "Google Pay" }).join(" ")).toBe("received n1 rupee on prov_google_pay");
    expect(englishIndia.payment({ amountMinor: 1, currency: inr, provider: "Paytm" }).join(" ")).toBe("received n1 paisa on prov_paytm");
  });

  it("leaves out a provider the packs cannot name", () => {
    const inr = currencyInfo("INR")!;
    expect(englishIndia.payment({ amountMinor: 500, currency: inr, provider: "Acme Wallet" }).join(" ")).toBe("received n5 rupees");
  });

  it("says the burst and daily summaries, the volume and the prompts", () => {
    const inr = currencyInfo("INR")!;
    expect(englishIndia.burstSummary({ count: 12, totalMinor: 340000, currency: inr }).join(" ")).toBe("received n12 payments total n3 thousand n4 hundred rupees");
    expect(englishIndia.dailySummary({ count: 1, totalMinor: 5000, currency: inr }).join(" ")).toBe("today n1 payment total n50 rupees");
    expect(englishIndia.dailySummary({ count: 0, totalMinor: 0, currency: inr }).join(" ")).toBe("today no_payments");
    expect(englishIndia.volume(7).join(" ")).toBe("volume n7");
    expect(englishIndia.prompt("no_network")).toEqual(["no_network"]);
  });

  it("counts crores past 99 in the Indian system", () => {
    expect(words(12_345_0000000)).toBe("<12> thousand <3> hundred <40> <5> crore");
  });
});

describe("amounts", () => {
  it.each([
    ["250", 2, 25000],
    ["250.5", 2, 25050],
    ["0.01", 2, 1],
    ["99999999.99", 2, 9999999999],
    ["1500", 0, 1500],
  ])("parses %s at exponent %d", (text, exponent, minor) => {
    expect(parseAmount(text, exponent)).toBe(minor);
  });

  it.each(["", "-1", "+1", "1e3", "1,000", "1.234", "100000000.00", " 1", "1.", ".5", "0x10"])("refuses %j", (text) => {
    expect(parseAmount(text, 2)).toBeUndefined();
  });

  it("formats minor units", () => {
    expect(formatAmount(123405, 2)).toBe("1234.05");
    expect(formatAmount(1500, 0)).toBe("1500");
  });
});

/**
 * Indian English against amounts written out by hand in the Indian system (espeak-ng's en-IN
 * voice reads numbers in millions, so it cannot be the reference here). Each announcement's
 * clips are turned into the words of voice/en-in/clips.json.
 */
describe("Indian English announcements, written out by hand", () => {
  const texts = (JSON.parse(readFileSync("voice/en-in/clips.json", "utf8")) as { clips: Record<string, string> }).clips;
  const inr = currencyInfo("INR")!;
  const spoken = (amountMinor: number) =>
    englishIndia
      .payment({ amountMinor, currency: inr, provider: "UPI" })
      .map((clip) => {
        if (!(clip in texts)) throw new Error(`clip ${clip} is not in voice/en-in/clips.json`);
        return texts[clip];
      })
      .join(" ");

  it.each([
    [1, "one paisa"],
    [2, "two paise"],
    [99, "ninety nine paise"],
    [100, "one rupee"],
    [101, "one rupee and one paisa"],
    [150, "one rupee and fifty paise"],
    [200, "two rupees"],
    [1000, "ten rupees"],
    [1100, "eleven rupees"],
    [1999, "nineteen rupees and ninety nine paise"],
    [2000, "twenty rupees"],
    [2105, "twenty one rupees and five paise"],
    [9900, "ninety nine rupees"],
    [10000, "one hundred rupees"],
    [10100, "one hundred one rupees"],
    [11000, "one hundred ten rupees"],
    [25050, "two hundred fifty rupees and fifty paise"],
    [99999, "nine hundred ninety nine rupees and ninety nine paise"],
    [100000, "one thousand rupees"],
    [100100, "one thousand one rupees"],
    [123450, "one thousand two hundred thirty four rupees and fifty paise"],
    [150000, "one thousand five hundred rupees"],
    [999900, "nine thousand nine hundred ninety nine rupees"],
    [1000000, "ten thousand rupees"],
    [1050000, "ten thousand five hundred rupees"],
    [2500000, "twenty five thousand rupees"],
    [4567800, "forty five thousand six hundred seventy eight rupees"],
    [9999999, "ninety nine thousand nine hundred ninety nine rupees and ninety nine paise"],
    [10000000, "one lakh rupees"],
    [10000001, "one lakh rupees and one paisa"],
    [10100000, "one lakh one thousand rupees"],
    [12500050, "one lakh twenty five thousand rupees and fifty paise"],
    [15000000, "one lakh fifty thousand rupees"],
    [20000000, "two lakh rupees"],
    [23456700, "two lakh thirty four thousand five hundred sixty seven rupees"],
    [50000500, "five lakh five rupees"],
    [99999900, "nine lakh ninety nine thousand nine hundred ninety nine rupees"],
    [100000000, "ten lakh rupees"],
    [123456789, "twelve lakh thirty four thousand five hundred sixty seven rupees and eighty nine paise"],
    [750000000, "seventy five lakh rupees"],
    [999999999, "ninety nine lakh ninety nine thousand nine hundred ninety nine rupees and ninety nine paise"],
    [1000000000, "one crore rupees"],
    [1000000100, "one crore one rupees"],
    [1001000000, "one crore ten thousand rupees"],
    [1010000000, "one crore one lakh rupees"],
    [1234567890, "one crore twenty three lakh forty five thousand six hundred seventy eight rupees and ninety paise"],
    [2000000000, "two crore rupees"],
    [2500000000, "two crore fifty lakh rupees"],
    [5005005005, "five crore fifty thousand fifty rupees and five paise"],
    [7000000001, "seven crore rupees and one paisa"],
    [8080808080, "eight crore eight lakh eight thousand eighty rupees and eighty paise"],
    [9999999999, "nine crore ninety nine lakh ninety nine thousand nine hundred ninety nine rupees and ninety nine paise"],
  ])("%d paise: %s", (amountMinor, words) => {
    expect(spoken(amountMinor)).toBe(`received ${words} on U P I`);
  });
});
