/**
 * EMVCo merchant-presented QR (EMV QRCPS MPM 1.1): the public vectors parse and re-encode to the
 * same text, the builder writes what the parser accepts, and each broken rule is named precisely.
 */
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { crc16CcittFalse, crcHex } from "../../firmware/qr/crc16";
import { buildMpm, encodeMpmObjects, MpmError, mpmTemplate, parseMpm, type MpmBuild, type MpmProblem } from "../../firmware/qr/emvco";
import { writeObject } from "../../firmware/qr/tlv";

const vectors = (JSON.parse(readFileSync("test/fixtures/qr-vectors.json", "utf8")).emvco) as { valid: { source: string; payload: string }[]; crc_check: { input: string; crc16_ccitt_false: string } };
const SPEC_SAMPLE = vectors.valid[0].payload;

/** Recomputes tag 63 after a change, so a test breaks exactly one rule. */
function withCrc(bodyBeforeCrc: string): string {
  const covered = `${bodyBeforeCrc}6304`;
  return covered + crcHex(crc16CcittFalse(new TextEncoder().encode(covered)));
}

function errors(payload: string): MpmProblem[] {
  return parseMpm(payload).problems.filter((p) => p.severity === "error");
}

function expectOnly(payload: string, rule: string, path: string, message: RegExp): void {
  const found = errors(payload);
  expect(found).toEqual([expect.objectContaining({ rule, path, message: expect.stringMatching(message) })]);
}

const base: MpmBuild = {
  initiation: "dynamic",
  accounts: [{ id: "26", value: mpmTemplate("com.example.wallet", { "01": "chai.corner@okicici" }) }],
  merchantCategoryCode: "5812",
  currency: "INR",
  amount: "250.00",
  country: "IN",
  merchantName: "Chai Corner",
  merchantCity: "Bengaluru",
  additional: { referenceLabel: "INV-42", terminalLabel: "QR-1" },
};

describe("CRC-16/CCITT-FALSE", () => {
  it("gives the catalogue check value for 123456789", () => {
    expect(crcHex(crc16CcittFalse(new TextEncoder().encode(vectors.crc_check.input)))).toBe(vectors.crc_check.crc16_ccitt_false);
  });
});

describe("public vectors", () => {
  it.each(vectors.valid.map((v) => [v.source, v.payload]))("%s parses without error and re-encodes to the same text", (_source, payload) => {
    const parsed = parseMpm(payload);
    expect(errors(payload)).toEqual([]);
    expect(parsed.ok).toBe(true);
    expect(encodeMpmObjects(parsed.objects)).toBe(payload);
  });

  it("reads every field of the specification's sample, the language template in UTF-8 counted in characters", () => {
    const { fields } = parseMpm(SPEC_SAMPLE);
    expect(fields).toMatchObject({
      formatIndicator: "01",
      initiation: "dynamic",
      merchantCategoryCode: "4111",
      currencyNumeric: "156",
      currency: "CNY",
      amount: "23.72",
      tip: { indicator: "01" },
      country: "CN",
      merchantName: "BEST TRANSPORT",
      merchantCity: "BEIJING",
      language: { preference: "ZH", name: "最佳运输", city: "北京" },
      additional: { storeLabel: "1234", customerLabel: "***", terminalLabel: "A6008667", consumerDataRequest: "ME" },
      unreserved: { "91": "0016A011223344998877070812345678" },
      crc: "A13A",
    });
    expect(fields.accounts.map((a) => [a.id, a.template?.guid, a.template?.data])).toEqual([
      ["29", "D15600000000", { "05": "A93FO3230Q" }],
      ["31", "D15600000001", { "03": "12345678" }],
    ]);
  });

  it("computes the CRC over UTF-8 bytes, not UTF-16 code units", () => {
    const covered = SPEC_SAMPLE.slice(0, -4);
    const units = Uint8Array.from([...covered].flatMap((c) => [c.charCodeAt(0) & 0xff]));
    expect(crcHex(crc16CcittFalse(new TextEncoder().encode(covered)))).toBe("A13A");
    expect(crcHex(crc16CcittFalse(units))).not.toBe("A13A");
  });

  it("reports the mandatory fields PromptPay leaves out as warnings, not errors", () => {
    const promptPay = vectors.valid.find((v) => v.source.startsWith("PromptPay static, phone"))!.payload;
    expect(parseMpm(promptPay).problems.map((p) => [p.severity, p.rule, p.path])).toEqual([
      ["warning", "missing_field", "52"],
      ["warning", "missing_field", "59"],
      ["warning", "missing_field", "60"],
    ]);
  });
});

describe("building", () => {
  it("writes the root objects in the specification's order, with a correct CRC, and parses back to the same fields", () => {
    const payload = buildMpm({ ...base, postalCode: "560001", language: { preference: "hi", name: "चाय कॉर्नर", city: "बेंगलुरु" }, unreserved: { "80": mpmTemplate("com.example.loyalty", { "01": "L1" }) } });
    expect(payload.startsWith("000201010212")).toBe(true);
    expect(parseMpm(payload).objects.map((o) => o.id)).toEqual(["00", "01", "26", "52", "53", "54", "58", "59", "60", "61", "62", "64", "80", "63"]);
    const parsed = parseMpm(payload);
    expect(parsed.problems).toEqual([]);
    expect(parsed.fields).toMatchObject({ amount: "250.00", currency: "INR", currencyNumeric: "356", merchantName: "Chai Corner", postalCode: "560001" });
    expect(parsed.fields.additional).toEqual({ referenceLabel: "INV-42", terminalLabel: "QR-1" });
    expect(parsed.fields.language).toEqual({ preference: "hi", name: "चाय कॉर्नर", city: "बेंगलुरु" });
    expect(encodeMpmObjects(parsed.objects)).toBe(payload);
  });

  it("writes a static code (11) without an amount", () => {
    const payload = buildMpm({ ...base, initiation: "static", amount: undefined });
    const { fields } = parseMpm(payload);
    expect(fields.initiation).toBe("static");
    expect(fields.amount).toBeUndefined();
  });

  it("counts lengths in characters", () => {
    expect(writeObject("01", "最佳运输")).toBe("0104最佳运输");
  });

  it.each([
    ["a name over 25 characters", { merchantName: "A".repeat(26) }, "field_length", "59"],
    ["a city over 15 characters", { merchantCity: "Thiruvananthapuram" }, "field_length", "60"],
    ["a thousands separator", { amount: "1,000.00" }, "amount_format", "54"],
    ["an amount over 13 characters", { amount: "12345678901.00" }, "field_length", "54"],
    ["a zero amount", { amount: "0.00" }, "amount_format", "54"],
    ["more decimals than the currency has", { amount: "10.005" }, "amount_format", "54"],
    ["a negative amount", { amount: "-5" }, "amount_format", "54"],
    ["a non-ASCII merchant name (format ans)", { merchantName: "Café Noir" }, "invalid_characters", "59"],
    ["a control character in the name", { merchantName: "Chai\nCorner" }, "invalid_characters", "59"],
    ["a lower-case country code", { country: "in" }, "country_code", "58"],
    ["a merchant category code with letters", { merchantCategoryCode: "58A2" }, "invalid_characters", "52"],
    ["a three-digit merchant category code", { merchantCategoryCode: "581" }, "field_length", "52"],
    ["a template without a globally unique identifier", { accounts: [{ id: "26", value: "0105hello" }] }, "template_guid", "26.00"],
    ["a globally unique identifier over 32 characters", { accounts: [{ id: "27", value: mpmTemplate("x".repeat(33)) }] }, "field_length", "27.00"],
    ["no merchant account", { accounts: [] }, "no_merchant_account", "02-51"],
    ["a fixed fee indicator without the fee", { tip: { indicator: "02" } }, "tip_or_convenience", "56"],
    ["a language template with an empty name", { language: { preference: "hi", name: "" } }, "field_length", "64.01"],
    ["a language preference that is not two letters", { language: { preference: "h1", name: "x" } }, "language_template", "64.00"],
  ] as [string, Partial<MpmBuild>, string, string][])("refuses %s", (_what, change, rule, path) => {
    let error: unknown;
    try {
      buildMpm({ ...base, ...change });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MpmError);
    expect((error as MpmError).problems).toContainEqual(expect.objectContaining({ severity: "error", rule, path }));
  });

  it("refuses a value over 99 characters, which a two-digit length cannot express", () => {
    expect(() => buildMpm({ ...base, accounts: [{ id: "26", value: mpmTemplate("com.example", { "01": "x".repeat(100) }) }] })).toThrow(/1 to 99/);
  });

  it("refuses a currency without an ISO 4217 numeric code here", () => {
    expect(() => buildMpm({ ...base, currency: "XYZ" })).toThrow(MpmError);
  });
});

describe("parsing broken payloads: each rule, named", () => {
  const good = buildMpm(base);
  const body = good.slice(0, -8);

  it("a wrong CRC, with the right one in the message", () => {
    const crc = good.slice(-4);
    const wrong = good.slice(0, -4) + (crc === "0000" ? "0001" : "0000");
    expectOnly(wrong, "crc_mismatch", "63", new RegExp(`CRC-16/CCITT-FALSE is ${crc}`));
  });

  it("a CRC that is not four hex digits", () => {
    expectOnly(`${body}6304XYZW`, "crc_format", "63", /not four hexadecimal digits/);
  });

  it("no CRC", () => {
    expectOnly(body, "crc_missing", "63", /no CRC/);
  });

  it("a CRC followed by more data", () => {
    const moved = withCrc(body.replace("5802IN", "")) + "5802IN";
    expect(errors(moved).map((p) => p.rule)).toContain("crc_not_last");
  });

  it("a length that claims more characters than remain", () => {
    expect(errors(`${body}6120abc`)[0]).toMatchObject({ rule: "tlv_truncated", message: expect.stringMatching(/61 at offset \d+ declares 20 characters but only 3 remain/) });
  });

  it("a length in the middle that claims more characters than it has (the next id lands inside a value)", () => {
    const lying = withCrc(body.replace("5911Chai Corner", "5920Chai Corner"));
    expect(parseMpm(lying).ok).toBe(false);
    expect(errors(lying)).toEqual([expect.objectContaining({ rule: "tlv_id", message: expect.stringMatching(/"lu", not two digits/) })]);
  });

  it("a length that claims fewer characters than the value has (the rest reads as a broken id)", () => {
    const lying = withCrc(body.replace("5911Chai Corner", "5909Chai Corner"));
    expect(errors(lying)[0]).toMatchObject({ rule: "tlv_id", message: expect.stringMatching(/"er"/) });
  });

  it("a length that is not two digits", () => {
    expect(errors(withCrc(body.replace("5911Chai", "59x1Chai")))[0]).toMatchObject({ rule: "tlv_length" });
  });

  it("an empty value", () => {
    expect(errors(withCrc(`${body}6100`))[0]).toMatchObject({ rule: "empty_value" });
  });

  it("an object that appears twice", () => {
    expect(errors(withCrc(`${body}5802IN`))).toContainEqual(expect.objectContaining({ rule: "duplicate_id", path: "58" }));
  });

  it("a payload that does not begin with the format indicator", () => {
    expect(errors(withCrc(body.slice(6) + "000201"))).toContainEqual(expect.objectContaining({ rule: "format_indicator", path: "00" }));
  });

  it("format indicator 02", () => {
    expectOnly(withCrc(body.replace("000201", "000202")), "format_indicator", "00", /version 01/);
  });

  it("point of initiation 13", () => {
    expectOnly(withCrc(body.replace("010212", "010213")), "point_of_initiation", "01", /neither 11/);
  });

  it("a payload over 512 characters", () => {
    const filler = ["80", "81", "82", "83"].map((id) => writeObject(id, mpmTemplate("com.example", { "01": "8".repeat(80) }))).join("");
    const long = withCrc(body + filler);
    expect(errors(long)).toEqual([expect.objectContaining({ rule: "payload_too_long" })]);
  });

  it("an additional consumer data request outside A, M, E", () => {
    const payload = buildMpm({ ...base, additional: { consumerDataRequest: "AM" } }).slice(0, -8).replace("0902AM", "0902AX");
    expectOnly(withCrc(payload), "consumer_data_request", "62.09", /"A", "M" and\/or "E"/);
  });

  it("a template whose content is not data objects", () => {
    expect(errors(withCrc(body.replace(/^(.{12})26/, "$1" + "26") + "81040012"))).toContainEqual(expect.objectContaining({ path: "81" }));
  });

  it("an object id reserved for EMVCo is a warning, and parsing goes on", () => {
    const parsed = parseMpm(withCrc(`${body}6503abc`));
    expect(parsed.ok).toBe(true);
    expect(parsed.problems).toEqual([expect.objectContaining({ severity: "warning", rule: "reserved_id", path: "65" })]);
  });

  it("garbage: never throws, always explains", () => {
    for (const text of ["", "hello", "0002", "000201", "00020101021163041234", "\u0000\u0001", "最佳运输"]) {
      const parsed = parseMpm(text);
      expect(parsed.ok).toBe(false);
      expect(parsed.problems.length).toBeGreaterThan(0);
      for (const problem of parsed.problems) expect(problem.message.length).toBeGreaterThan(10);
    }
  });
});
