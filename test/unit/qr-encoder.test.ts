/**
 * The in-memory HAL's QR encoder against the standard's known answers and, module for module,
 * against the npm `qrcode` package (an independent implementation) at every level and mask;
 * its symbols read back by jsQR and ZXing; and the device's version and level rules.
 */
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { QrTooLargeError } from "../../hal/qr";
import { dataCodewordsFor, encodeQr, MemoryQrEncoder, reedSolomon, type Ecl } from "../../hal/memory/qr-encoder";
import { hostQrEncoder, hostQrSymbol } from "../../host-sim/hal/qr-encoder";
import { FramebufferDisplay } from "../../host-sim/hal/framebuffer-display";
import { decodeBoth } from "../support/qr-decode";

const vectors = JSON.parse(readFileSync("test/fixtures/qr-vectors.json", "utf8")) as {
  qr: { hello_world_1Q: { data_codewords: number[]; ec_codewords: number[] }; digits_01234567_1M: { data_codewords_hex_prefix: string; ec_codewords_hex: string } };
  emvco: { valid: { payload: string }[] };
};
const hex = (bytes: number[]) => Buffer.from(bytes).toString("hex").toUpperCase();

const TEXTS = ["HELLO WORLD", "01234567", "upi://pay?pa=shop@bank&pn=Shop&am=10.00&cu=INR", vectors.emvco.valid[0].payload, "最佳运输".repeat(30), "A".repeat(700), "9".repeat(400), "x".repeat(600)];

describe("known answers (ISO/IEC 18004 examples)", () => {
  it("HELLO WORLD at 1-Q: data and error correction codewords", () => {
    const data = dataCodewordsFor("HELLO WORLD", 1, "Q");
    expect(data).toEqual(vectors.qr.hello_world_1Q.data_codewords);
    expect(reedSolomon(data, 13)).toEqual(vectors.qr.hello_world_1Q.ec_codewords);
  });

  it("01234567 at 1-M: numeric mode data and error correction codewords", () => {
    const data = dataCodewordsFor("01234567", 1, "M");
    expect(hex(data).startsWith(vectors.qr.digits_01234567_1M.data_codewords_hex_prefix)).toBe(true);
    expect(hex(reedSolomon(data, 10))).toBe(vectors.qr.digits_01234567_1M.ec_codewords_hex);
  });
});

describe("the same modules as npm qrcode", () => {
  const same = (text: string, level: Ecl, mask: number) => {
    const ours = encodeQr(text, { ecl: level, boost: false, mask });
    const theirs = hostQrSymbol(text, { level, version: ours.version, mask });
    expect(theirs.version).toBe(ours.version);
    expect(Buffer.from(ours.modules).equals(Buffer.from(Uint8Array.from(theirs.modules.data, (dark) => (dark ? 1 : 0))))).toBe(true);
  };

  it.each(TEXTS.map((t) => [t.slice(0, 24), t]))("%s: every mask at M, every level at mask 0", (_name, text) => {
    for (let mask = 0; mask < 8; mask++) same(text, "M", mask);
    for (const level of ["L", "Q", "H"] as Ecl[]) same(text, level, 0);
  });

  it("picks the same version and level as the host encoder (M, boosted while the version holds)", () => {
    for (const text of TEXTS) expect(new MemoryQrEncoder().encode(text).size).toBe(hostQrEncoder.encode(text).size);
  });
});

describe("symbols read back", () => {
  const drawn = (symbol: ReturnType<MemoryQrEncoder["encode"]>) => {
    // Drawn as on a screen: the quiet zone and more light space around it.
    const scale = 3;
    const margin = 12;
    const side = (symbol.size + 2 * margin) * scale;
    const display = new FramebufferDisplay(side, side);
    display.begin();
    display.fillRect(0, 0, side, side, 0xffff);
    display.drawQr(symbol, margin * scale, margin * scale, scale, 0, 0xffff);
    display.end();
    return decodeBoth(display.toRgba(), side, side);
  };

  it.each(TEXTS.map((t) => [t.slice(0, 24), t]))("%s: jsQR and ZXing read exactly the text", (_name, text) => {
    expect(drawn(new MemoryQrEncoder().encode(text))).toEqual({ jsqr: text, zxing: text });
  });

  // A real charge link whose symbol (5-M, mask 4) holds a finder-like run that ZXing 0.21's own
  // search takes for a corner (test/support/qr-decode.ts).
  it("a UPI link that ZXing 0.21 cannot locate by itself is still read by both", () => {
    const link = "upi://pay?pa=chai.corner@okicici&pn=Chai%20Corner&tr=T-MWQKRY2F-1&am=250.50&cu=INR";
    expect(drawn(new MemoryQrEncoder().encode(link))).toEqual({ jsqr: link, zxing: link });
  });
});

describe("limits", () => {
  it("refuses what does not fit the largest version allowed", () => {
    expect(() => new MemoryQrEncoder().encode("x".repeat(300), 5)).toThrow(QrTooLargeError);
    expect(() => new MemoryQrEncoder().encode("x".repeat(3000))).toThrow(/do not fit in a QR code of version 40/);
  });

  it("boosts the level while the version stays: a short text at H", () => {
    expect(encodeQr("HELLO").ecl).toBe("H");
    expect(encodeQr("HELLO").version).toBe(1);
  });
});
