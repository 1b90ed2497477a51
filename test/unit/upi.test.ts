/**
 * UPI payment links: NPCI's public samples parse and re-encode to the same text from their
 * decoded values, links are built with NPCI's percent-encoding, and each bad input is named.
 */
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { buildUpi, encodeUpiParams, parseUpi, upiEncode, UpiError, type UpiProblem } from "../../firmware/qr/upi";

const vectors = (JSON.parse(readFileSync("test/fixtures/qr-vectors.json", "utf8")).upi) as { valid: string[] };

function errors(link: string): UpiProblem[] {
  return parseUpi(link).problems.filter((p) => p.severity === "error");
}

const GOOD = "upi://pay?pa=chai.corner@okicici&pn=Chai%20Corner&tr=INV-42&am=250.00&cu=INR";

describe("public vectors", () => {
  it.each(vectors.valid)("%s parses and re-encodes from its decoded values to the same text", (link) => {
    const parsed = parseUpi(link);
    expect(errors(link)).toEqual([]);
    expect(encodeUpiParams(parsed.prefix, parsed.params.map((p) => ({ key: p.key, value: p.value as string })))).toBe(link);
  });

  it("reads NPCI's sample field by field, mam=null as a warning", () => {
    const parsed = parseUpi(vectors.valid[0]);
    expect(parsed.fields).toEqual({
      pa: "nadeem@npci",
      pn: "nadeem chinna",
      mc: "0000",
      tid: "cxnkjcnkjdfdvjndkjfvn",
      tr: "4894398cndhcd23",
      tn: "Pay to mystar store",
      am: "10",
      mam: "null",
      cu: "INR",
      url: "https://mystar.com/orderid=9298yw89e8973e87389e78923ue892",
    });
    expect(parsed.problems).toEqual([expect.objectContaining({ severity: "warning", param: "mam" })]);
  });
});

describe("building", () => {
  it("writes the merchant's static link as before", () => {
    expect(buildUpi({ pa: "chai.corner@okicici", pn: "Chai Corner & Co", cu: "INR" })).toBe("upi://pay?pa=chai.corner@okicici&pn=Chai%20Corner%20%26%20Co&cu=INR");
  });

  it("writes every parameter in the specification's order", () => {
    const link = buildUpi({ cu: "INR", am: "99.50", pa: "shop@bank", pn: "Shop", mc: "5411", tid: "T1", tr: "R1", tn: "Order 7", mam: "50", url: "https://shop.example/o/7?x=1", mode: "01", purpose: "00", orgid: "000000" });
    expect(link).toBe("upi://pay?pa=shop@bank&pn=Shop&mc=5411&tid=T1&tr=R1&tn=Order%207&am=99.50&mam=50&cu=INR&url=https://shop.example/o/7?x=1&mode=01&purpose=00&orgid=000000");
    expect(parseUpi(link).problems).toEqual([]);
  });

  it("percent-encodes as NPCI does: UTF-8 bytes in upper-case hex, '@' and unreserved characters literal", () => {
    expect(upiEncode("a b&c=d+e/f@g.h-i_j~k")).toBe("a%20b%26c%3Dd%2Be%2Ff@g.h-i_j~k");
    expect(upiEncode("₹ चाय")).toBe("%E2%82%B9%20%E0%A4%9A%E0%A4%BE%E0%A4%AF");
    expect(parseUpi(buildUpi({ pa: "shop@bank", pn: "चाय & ₹" })).fields.pn).toBe("चाय & ₹");
  });

  it("refuses to build a signed link: only the PSP signs, over its exact text", () => {
    expect(() => buildUpi({ pa: "shop@bank", pn: "Shop", sign: "AAAA" })).toThrow(/signed link comes whole/);
  });

  it("names every broken rule at once", () => {
    let error: unknown;
    try {
      buildUpi({ pa: "not-a-vpa", pn: "", am: "1,000" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UpiError);
    expect((error as UpiError).problems.map((p) => [p.rule, p.param])).toEqual([
      ["payee_address", "pa"],
      ["parameter_length", "pn"],
      ["amount_format", "am"],
    ]);
  });
});

describe("parsing bad links", () => {
  it("a signed link is recognised as signed", () => {
    const parsed = parseUpi(`${GOOD}&sign=MEUCIQDx%2Bk%2F9Qw%3D%3D`);
    expect(parsed.ok).toBe(true);
    expect(parsed.signed).toBe(true);
    expect(parsed.fields.sign).toBe("MEUCIQDx+k/9Qw==");
  });

  it.each([
    ["another scheme", "https://pay?pa=a@b&pn=x", "upi_scheme", ""],
    ["no payee address", "upi://pay?pn=Shop", "missing_parameter", "pa"],
    ["no payee name", "upi://pay?pa=shop@bank", "missing_parameter", "pn"],
    ["a payee address without a handle", "upi://pay?pa=shopbank&pn=Shop", "payee_address", "pa"],
    ["a parameter twice", `${GOOD}&am=1.00`, "duplicate_parameter", "am"],
    ["a broken %XX", "upi://pay?pa=shop@bank&pn=Shop%G1", "percent_encoding", "pn"],
    ["truncated UTF-8 in %XX", "upi://pay?pa=shop@bank&pn=Shop%E2%82", "percent_encoding", "pn"],
    ["a raw space", "upi://pay?pa=shop@bank&pn=Chai Corner", "invalid_characters", "pn"],
    ["a raw non-ASCII character", "upi://pay?pa=shop@bank&pn=₹", "invalid_characters", "pn"],
    ["a control character, encoded", "upi://pay?pa=shop@bank&pn=Shop%0A", "invalid_characters", "pn"],
    ["a thousands separator", "upi://pay?pa=shop@bank&pn=Shop&am=1,000", "amount_format", "am"],
    ["three decimals", "upi://pay?pa=shop@bank&pn=Shop&am=10.123", "amount_format", "am"],
    ["a zero amount", "upi://pay?pa=shop@bank&pn=Shop&am=0.00", "amount_format", "am"],
    ["a minimum above the amount", "upi://pay?pa=shop@bank&pn=Shop&am=10&mam=20", "amount_format", "mam"],
    ["a currency other than INR", "upi://pay?pa=shop@bank&pn=Shop&cu=USD", "currency", "cu"],
    ["a merchant category code with letters", "upi://pay?pa=shop@bank&pn=Shop&mc=58A2", "code_format", "mc"],
    ["a name over 99 characters", `upi://pay?pa=shop@bank&pn=${"x".repeat(100)}`, "parameter_length", "pn"],
    ["a note over 50 characters", `upi://pay?pa=shop@bank&pn=Shop&tn=${"x".repeat(51)}`, "parameter_length", "tn"],
    ["a reference over 35 characters", `upi://pay?pa=shop@bank&pn=Shop&tr=${"x".repeat(36)}`, "parameter_length", "tr"],
    ["a url that is not http(s)", "upi://pay?pa=shop@bank&pn=Shop&url=javascript:alert(1)", "url_format", "url"],
    ["a parameter without '='", "upi://pay?pa=shop@bank&pn=Shop&am", "parameter_syntax", "am"],
    ["a link over 1024 characters", `upi://pay?pa=shop@bank&pn=Shop&x=${"y".repeat(1020)}`, "link_too_long", ""],
  ])("%s", (_what, link, rule, param) => {
    expect(errors(link)).toContainEqual(expect.objectContaining({ rule, param }));
    expect(parseUpi(link).ok).toBe(false);
  });

  it("an unknown parameter is kept and warned about", () => {
    const parsed = parseUpi(`${GOOD}&mid=M123`);
    expect(parsed.ok).toBe(true);
    expect(parsed.extra).toEqual({ mid: "M123" });
    expect(parsed.problems).toEqual([expect.objectContaining({ severity: "warning", rule: "unknown_parameter", param: "mid" })]);
  });
});
