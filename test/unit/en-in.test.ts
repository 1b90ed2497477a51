import { describe, expect, it } from "@jest/globals";
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
