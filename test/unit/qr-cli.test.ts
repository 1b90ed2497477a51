/**
 * payterm qr parse and qr make, run in-process through the CLI's dispatcher: parse prints the
 * fields as JSON and exits 1 naming the broken rule; make prints the code and writes the frame
 * the device would show, which both decoders read back as that code.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { runCli } from "../support/cli";
import { decodeBoth } from "../support/qr-decode";

const SPEC_SAMPLE = ((JSON.parse(readFileSync("test/fixtures/qr-vectors.json", "utf8")).emvco) as { valid: { payload: string }[] }).valid[0].payload;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "payterm-qr-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readPng(file: string) {
  const image = PNG.sync.read(readFileSync(file));
  return { width: image.width, height: image.height, codes: decodeBoth(new Uint8ClampedArray(image.data), image.width, image.height) };
}

describe("payterm qr parse", () => {
  it("prints every field of a valid EMVCo payload as JSON and exits 0", async () => {
    const { code, out } = await runCli("qr", "parse", SPEC_SAMPLE);
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed).toMatchObject({ scheme: "emvco", ok: true, fields: { merchantName: "BEST TRANSPORT", language: { name: "最佳运输" }, crc: "A13A" } });
  });

  it("exits 1 naming the broken rule", async () => {
    const { code, out, err } = await runCli("qr", "parse", `${SPEC_SAMPLE.slice(0, -4)}A13B`);
    expect(code).toBe(1);
    expect(JSON.parse(out).ok).toBe(false);
    expect(err).toMatch(/63: CRC is A13B; the payload's CRC-16\/CCITT-FALSE is A13A \[crc_mismatch\]/);
  });

  it("reads UPI links too", async () => {
    const good = await runCli("qr", "parse", "upi://pay?pa=shop@bank&pn=Shop&am=10.00&cu=INR");
    expect(good.code).toBe(0);
    expect(JSON.parse(good.out)).toMatchObject({ scheme: "upi", fields: { pa: "shop@bank", am: "10.00", signed: false } });
    const bad = await runCli("qr", "parse", "upi://pay?pa=shop@bank&pn=Shop&am=1,000&cu=USD");
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/am: .*\[amount_format\]/);
    expect(bad.err).toMatch(/cu: .*\[currency\]/);
  });

  it("needs exactly one payload", async () => {
    expect((await runCli("qr", "parse")).code).toBe(2);
  });
});

describe("payterm qr make", () => {
  it("a UPI charge: prints the link and writes the portrait frame, which decodes to it", async () => {
    const png = join(dir, "upi.png");
    const { code, out } = await runCli("qr", "make", "--scheme", "upi", "--amount", "250.50", "--pa", "chai.corner@okicici", "--pn", "Chai Corner", "--reference", "INV-7", "--png", png);
    expect(code).toBe(0);
    expect(out).toBe("upi://pay?pa=chai.corner@okicici&pn=Chai%20Corner&tr=INV-7&am=250.50&cu=INR");
    expect(readPng(png)).toEqual({ width: 240, height: 320, codes: { jsqr: out, zxing: out } });
  });

  it("an EMVCo charge in landscape", async () => {
    const png = join(dir, "emv.png");
    const { code, out } = await runCli("qr", "make", "--scheme", "emvco", "--amount", "99", "--currency", "THB", "--guid", "A000000677010111", "--account-data", "01=0066801234567", "--mcc", "5812", "--country", "TH", "--name", "Som Tam Stall", "--city", "Bangkok", "--label", "PromptPay", "--screen", "320x240", "--png", png);
    expect(code).toBe(0);
    expect(out).toMatch(/^000201010212.*5802TH5913Som Tam Stall6007Bangkok.*6304[0-9A-F]{4}$/);
    expect(out).toContain("540599.00");
    expect(readPng(png)).toEqual({ width: 320, height: 240, codes: { jsqr: out, zxing: out } });
  });

  it("the idle screen's static code", async () => {
    const png = join(dir, "static.png");
    const { code, out } = await runCli("qr", "make", "--scheme", "upi", "--static", "--pa", "chai.corner@okicici", "--pn", "Chai Corner", "--png", png);
    expect(code).toBe(0);
    expect(out).toBe("upi://pay?pa=chai.corner@okicici&pn=Chai%20Corner&cu=INR");
    expect(readPng(png).codes).toEqual({ jsqr: out, zxing: out });
  });

  it("a code that breaks a rule: exit 1 with the rule, no file", async () => {
    const png = join(dir, "never.png");
    const { code, err } = await runCli("qr", "make", "--scheme", "emvco", "--amount", "10", "--guid", "com.example", "--account-data", "01=x", "--mcc", "5812", "--country", "IN", "--name", "The Very Long Chai Corner Company", "--city", "Bengaluru", "--png", png);
    expect(code).toBe(1);
    expect(err).toMatch(/bad_scheme: emv: 59: merchant name has 33 characters; it takes 1 to 25 \[field_length\]/);
    expect(() => readFileSync(png)).toThrow();
  });

  it("a code too large for the screen: exit 1", async () => {
    const { code, err } = await runCli("qr", "make", "--scheme", "upi", "--amount", "10", "--pa", "shop@bank", "--pn", "Shop", "--url", `https://example.com/${"x".repeat(230)}`, "--screen", "128x160");
    expect(code).toBe(1);
    expect(err).toMatch(/too_large_for_screen|128x160/);
  });

  it.each([
    [["--scheme", "card", "--amount", "1"], /--scheme must be emvco or upi/],
    [["--scheme", "upi", "--amount", "1,000", "--pa", "a@b", "--pn", "x"], /--amount must be a positive decimal/],
    [["--scheme", "upi", "--amount", "1", "--screen", "big"], /--screen must be WIDTHxHEIGHT/],
    [["--scheme", "upi", "--amount", "1", "--reference", "INV 1"], /--reference must be/],
    [["--scheme", "emvco", "--amount", "1"], /needs --payload, or --guid/],
  ])("bad arguments %j: exit 2 with the reason", async (args, message) => {
    const { code, err } = await runCli("qr", "make", ...(args as string[]));
    expect(code).toBe(2);
    expect(err).toMatch(message as RegExp);
  });
});
