/**
 * The QR display's screens at every supported resolution: each frame that shows a code is read
 * back from its pixels by jsQR and ZXing as exactly the payload, with the banner or without it,
 * before and after the countdown redraws; frames without a code have none; layouts keep the
 * quiet zone and whole-pixel modules; a code the screen cannot show is refused and nothing drawn.
 */
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { ManualClock, ManualTimers } from "../../hal/memory/clock";
import { RecordingLog } from "../../hal/memory/peripherals";
import { buildMpm, mpmTemplate } from "../../firmware/qr/emvco";
import { buildUpi } from "../../firmware/qr/upi";
import { layoutScreen, QUIET_ZONE_MODULES, type TextLine } from "../../firmware/qr-display/layout";
import { moneyText } from "../../firmware/qr-display/money-text";
import { QrDisplay, ScreenFitError, TRANSIENT_MS, type ChargeOnScreen } from "../../firmware/qr-display/qr-display";
import { chargeScreen, idleScreen, successScreen } from "../../firmware/qr-display/screens";
import { hasGlyph } from "../../firmware/qr-display/font";
import { FramebufferDisplay } from "../../host-sim/hal/framebuffer-display";
import { hostQrEncoder } from "../../host-sim/hal/qr-encoder";
import { decodeBoth } from "../support/qr-decode";

const RESOLUTIONS = [
  [240, 320],
  [320, 240],
  [480, 320],
] as const;

const vectors = (JSON.parse(readFileSync("test/fixtures/qr-vectors.json", "utf8")).emvco) as { valid: { payload: string }[] };
const upiVectors = (JSON.parse(readFileSync("test/fixtures/qr-vectors.json", "utf8")).upi) as { valid: string[] };
const STATIC = buildUpi({ pa: "chai.corner@okicici", pn: "Chai Corner & Co", cu: "INR" });
const LONG_EMV = buildMpm({
  initiation: "dynamic",
  accounts: [
    { id: "26", value: mpmTemplate("com.example.upi-global", { "01": "chai.corner@okicici", "02": "MID0000000042" }) },
    { id: "27", value: mpmTemplate("com.example.alipayplus", { "01": "2088000000000042", "02": "Chai Corner Bengaluru" }) },
  ],
  merchantCategoryCode: "5812",
  currency: "INR",
  amount: "123456.50",
  country: "IN",
  merchantName: "Chai Corner & Co",
  merchantCity: "Bengaluru",
  postalCode: "560001",
  additional: { billNumber: "B-2025-000042", referenceLabel: "INV-2025-0042", terminalLabel: "QR-0001", purpose: "Tea and snacks" },
  language: { preference: "hi", name: "चाय कॉर्नर", city: "बेंगलुरु" },
});
/** The heaviest public vector (UTF-8, version 12), a light one, a UPI link and the long code. */
const PAYLOADS = [vectors.valid[0].payload, vectors.valid[1].payload, upiVectors.valid[0], LONG_EMV];

function rig(width: number, height: number, staticPayload: string | undefined) {
  const display = new FramebufferDisplay(width, height);
  const clock = new ManualClock(Date.UTC(2025, 5, 1, 10, 0, 0));
  const timers = new ManualTimers(clock);
  const log = new RecordingLog();
  const screen = new QrDisplay({ display, qr: hostQrEncoder, timers, clock, log, staticPayload, merchantName: "Chai Corner & Co" });
  const read = () => decodeBoth(display.toRgba(), width, height);
  return { display, clock, timers, log, screen, read };
}

function charge(clock: ManualClock, payloads: string[]): ChargeOnScreen {
  return {
    reference: "INV-2025-0042",
    amountMinor: 12_345_650,
    currency: "INR",
    expiresAt: clock.now() + 5 * 60_000,
    offers: payloads.map((payload, i) => ({ label: i === 0 ? "UPI" : "Alipay+", payload })),
  };
}

describe.each(RESOLUTIONS)("%dx%d", (width, height) => {
  it("idle: the static code, with and without the banner", () => {
    const r = rig(width, height, STATIC);
    r.screen.setStatus({ online: true });
    r.screen.showIdle();
    expect(r.read()).toEqual({ jsqr: STATIC, zxing: STATIC });
    r.screen.setStatus({ online: false, batteryPercent: 7 });
    expect(r.log.named("screen").at(-1)?.fields.screen).toBe("idle");
    expect(r.read()).toEqual({ jsqr: STATIC, zxing: STATIC });
  });

  it("charge: public payloads and a long cross-border one, each code read back exactly", () => {
    const r = rig(width, height, STATIC);
    r.screen.setStatus({ online: true });
    for (const payload of PAYLOADS) {
      r.screen.offerCharge(r.screen.prepareCharge(charge(r.clock, [payload])));
      expect(r.read()).toEqual({ jsqr: payload, zxing: payload });
    }
  });

  it("charge: the function button's second code, the countdown's own redraw, the banner", () => {
    const r = rig(width, height, STATIC);
    r.screen.setStatus({ online: true });
    const upi = upiVectors.valid[1];
    r.screen.offerCharge(r.screen.prepareCharge(charge(r.clock, [upi, LONG_EMV])));
    expect(r.read()).toEqual({ jsqr: upi, zxing: upi });
    r.screen.nextOffer();
    expect(r.read()).toEqual({ jsqr: LONG_EMV, zxing: LONG_EMV });
    const before = r.display.pixels.slice();
    const frames = r.display.frames;
    r.timers.advance(1000);
    expect(r.display.frames).toBe(frames + 1);
    const region = r.display.lastRegion!;
    expect(region).toBeDefined();
    expect(region.height).toBeLessThan(height / 4);
    const changed = r.display.pixels.findIndex((p, i) => p !== before[i]);
    expect(changed).toBeGreaterThanOrEqual(0);
    const row = Math.floor(changed / width);
    expect(row >= region.y && row < region.y + region.height).toBe(true);
    expect(r.read()).toEqual({ jsqr: LONG_EMV, zxing: LONG_EMV });
    r.screen.setStatus({ online: false });
    expect(r.read()).toEqual({ jsqr: LONG_EMV, zxing: LONG_EMV });
  });
});

/** Frames without a code at the two required resolutions (480x320 adds nothing to these). */
describe.each(RESOLUTIONS.slice(0, 2))("%dx%d, screens without a code", (width, height) => {
  it("success, mismatch, expired and cancelled show no code, then home comes back", () => {
    const r = rig(width, height, STATIC);
    r.screen.setStatus({ online: true });
    r.screen.showIdle();
    const paid = { amountMinor: 25_050, currency: "INR", provider: "Google Pay", reference: "INV-1" };
    r.screen.showPaid(paid, "T1");
    expect(r.read()).toEqual({ jsqr: undefined, zxing: undefined });
    r.timers.advance(TRANSIENT_MS.success);
    expect(r.screen.state).toBe("idle");
    expect(r.read()).toEqual({ jsqr: STATIC, zxing: STATIC });

    const prepared = r.screen.prepareCharge(charge(r.clock, [upiVectors.valid[1]]));
    r.screen.offerCharge(prepared);
    r.screen.showMismatch({ ...paid, expectedMinor: 30_000, expectedCurrency: "INR" }, "T2");
    expect(r.screen.state).toBe("mismatch");
    expect(r.read()).toEqual({ jsqr: undefined, zxing: undefined });
    r.timers.advance(TRANSIENT_MS.mismatch);
    expect(r.screen.state).toBe("charge");
    r.screen.showEnded("expired", prepared.charge);
    r.screen.endCharge();
    expect(r.read()).toEqual({ jsqr: undefined, zxing: undefined });
    r.timers.advance(TRANSIENT_MS.expired);
    expect(r.screen.state).toBe("idle");
    r.screen.showEnded("cancelled", prepared.charge);
    expect(r.read()).toEqual({ jsqr: undefined, zxing: undefined });
  });
});

describe("what does not fit", () => {
  it("a code too large for the screen is refused, and nothing is drawn", () => {
    const r = rig(128, 160, STATIC);
    r.screen.showIdle();
    const frames = r.display.frames;
    expect(() => r.screen.prepareCharge(charge(r.clock, [LONG_EMV]))).toThrow(ScreenFitError);
    expect(() => r.screen.prepareCharge(charge(r.clock, [LONG_EMV]))).toThrow(/128x160 screen/);
    expect(r.display.frames).toBe(frames);
    expect(r.read()).toEqual({ jsqr: STATIC, zxing: STATIC });
  });

  it("a static code too large for the screen gives a 'not set up' screen, never a code", () => {
    const r = rig(128, 160, LONG_EMV);
    r.screen.showIdle();
    expect(r.screen.state).toBe("no-merchant");
    expect(r.log.named("merchant-qr")[0].fields.detail).toMatch(/128x160/);
    expect(r.read()).toEqual({ jsqr: undefined, zxing: undefined });
  });

  it("no merchant configured: 'not set up'", () => {
    const r = rig(240, 320, undefined);
    r.screen.showIdle();
    expect(r.screen.state).toBe("no-merchant");
  });
});

describe("layout", () => {
  const lines = (content: { above: TextLine[]; below: TextLine[] }) => content;

  it.each([
    [240, 320, 29],
    [240, 320, 65],
    [320, 240, 45],
    [320, 240, 65],
    [480, 320, 57],
    [320, 480, 77],
  ])("%dx%d, %d modules: a whole-pixel module of at least 2, 4 quiet modules inside the screen, no text over them", (width, height, size) => {
    for (const banner of [0, 22]) {
      const content = lines(chargeScreen({ reference: "INV-2025-0042", amountMinor: 12_345_650, currency: "INR", label: "UPI", offerIndex: 0, offerCount: 2 }, 299_000));
      const layout = layoutScreen({ width, height, banner, symbolSize: size, above: content.above, below: content.below, minModulePixels: 2, preferredModulePixels: 3 });
      const qr = layout.qr!;
      expect(Number.isInteger(qr.scale)).toBe(true);
      expect(qr.scale).toBeGreaterThanOrEqual(2);
      expect(qr.extent).toBe((size + 2 * QUIET_ZONE_MODULES) * qr.scale);
      const left = qr.x - QUIET_ZONE_MODULES * qr.scale, top = qr.y - QUIET_ZONE_MODULES * qr.scale;
      expect(left).toBeGreaterThanOrEqual(0);
      expect(top).toBeGreaterThanOrEqual(banner && width <= height ? banner : 0);
      expect(left + qr.extent).toBeLessThanOrEqual(width);
      expect(top + qr.extent).toBeLessThanOrEqual(height);
      for (const text of layout.texts) {
        const b = text.band;
        const overlaps = b.x < left + qr.extent && b.x + b.width > left && b.y < top + qr.extent && b.y + b.height > top;
        expect(overlaps).toBe(false);
      }
    }
  });

  it("the QR takes all the room the text leaves: one more pixel per module would not fit", () => {
    const content = idleScreen("Chai Corner");
    const layout = layoutScreen({ width: 240, height: 320, banner: 0, symbolSize: 29, above: content.above, below: content.below, minModulePixels: 2 });
    const texts = layout.texts;
    const room = texts[1].y - (texts[0].y + texts[0].band.height);
    expect((29 + 8) * (layout.qr!.scale + 1)).toBeGreaterThan(Math.min(240, room));
  });

  it("a text-only screen is centred and keeps the amount whole", () => {
    const content = successScreen({ amountMinor: 999_999_999_999 % 10_000_000_000, currency: "INR", provider: "Google Pay", reference: "R" });
    const layout = layoutScreen({ width: 240, height: 320, banner: 0, above: content.above, below: content.below, minModulePixels: 2 });
    expect(layout.qr).toBeUndefined();
    expect(layout.texts.map((t) => t.text)).toContain(moneyText(9_999_999_999, "INR"));
  });
});

describe("amounts as the screen writes them", () => {
  it.each([
    [25_050, "INR", "\u20b9250.50"],
    [12_345_650, "INR", "\u20b91,23,456.50"],
    [9_999_999_999, "INR", "\u20b99,99,99,999.99"],
    [123_456_789, "EUR", "\u20ac1,234,567.89"],
    [5000, "JPY", "\u00a55,000"],
    [150_000, "THB", "\u0e3f1,500.00"],
    [1200, "AED", "AED 12.00"],
    [7, "USD", "$0.07"],
  ])("%d minor units of %s: %s", (minor, currency, text) => {
    expect(moneyText(minor, currency)).toBe(text);
    for (const char of text) expect(hasGlyph(char)).toBe(true);
  });
});
