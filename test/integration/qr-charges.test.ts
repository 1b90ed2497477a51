/**
 * The charge flow end to end, over the embedded aedes broker with the real firmware on QR
 * displays in portrait (240x320) and landscape (320x240): a charge request becomes a dynamic code
 * on screen that jsQR and ZXing both read back, from the pixels, as exactly the code the device
 * reported; a payment for it shows success; a payment for another amount shows a mismatch and
 * reports it; expiry and cancellation take the code off the screen; and every bad request is
 * refused with a reason while the screen keeps what it showed.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildMpm, mpmTemplate } from "../../firmware/qr/emvco";
import type { SimDevice } from "../../host-sim/device/sim-device";
import { encodeProtocolCbor } from "../../host-sim/service/cbor";
import { chargesFor, ChargeRefusedError, demoEmvFields, encodeChargeBody, payCharge, type ChargeService, type ChargeSpec } from "../../host-sim/service/charges";
import { sealEnvelope } from "../../host-sim/service/confirmation";
import { Simulator } from "../../host-sim/simulator";
import { decodeBoth } from "../support/qr-decode";

const MERCHANT = { vpa: "chai.corner@okicici", name: "Chai Corner" };
const STATIC_LINK = "upi://pay?pa=chai.corner@okicici&pn=Chai%20Corner&cu=INR";
const SCREENS = [
  { deviceId: "qr-portrait", screen: { width: 240, height: 320 } },
  { deviceId: "qr-landscape", screen: { width: 320, height: 240 } },
];
/** Kept for bad requests, so every one of them can be checked against the untouched idle screen. */
const GUARD = { deviceId: "qr-guard", screen: { width: 240, height: 320 } };
const SMALL = { deviceId: "qr-small", screen: { width: 128, height: 160 } };

let simulator: Simulator;
let charges: ChargeService;
let stateDir: string;
let counter = 0;

function reference(): string {
  return `T-${Date.now().toString(36)}-${++counter}`.toUpperCase();
}

function screenCode(device: SimDevice) {
  const display = device.display!;
  return decodeBoth(display.toRgba(), display.width, display.height);
}

/** Both decoders read `payload`, byte for byte, from the device's pixels. */
function expectOnScreen(device: SimDevice, payload: string): void {
  expect(screenCode(device)).toEqual({ jsqr: payload, zxing: payload });
}

function expectNoCode(device: SimDevice): void {
  expect(screenCode(device)).toEqual({ jsqr: undefined, zxing: undefined });
}

function screenEvent(device: SimDevice, screen: string, timeoutMs = 5000) {
  return device.log.waitFor((e) => e.name === "screen" && e.fields.screen === screen, timeoutMs);
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "payterm-charges-"));
  simulator = await Simulator.start({
    stateDir,
    devices: [...SCREENS, GUARD, SMALL].map((d) => ({ ...d, product: "qr-display" as const })),
    merchant: MERCHANT,
  });
  await Promise.all([...simulator.devices.values()].map((d) => d.log.waitFor((e) => e.name === "connected")));
  charges = await chargesFor(simulator.service, (id) => simulator.registry.keyFor(id));
}, 30_000);

afterAll(async () => {
  await simulator.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe.each(SCREENS)("$deviceId ($screen.width x $screen.height)", ({ deviceId }) => {
  const device = () => simulator.device(deviceId);
  const spec = (extra: Partial<ChargeSpec> = {}): ChargeSpec => ({
    deviceId,
    amountMinor: 25_050,
    currency: "INR",
    reference: reference(),
    upi: {},
    emv: demoEmvFields(MERCHANT),
    ...extra,
  });

  it("shows the merchant's static code when idle", () => {
    expect(device().firmware.qr?.screen.state).toBe("idle");
    expectOnScreen(device(), STATIC_LINK);
  });

  it("a payment to the static code (no charge) shows success, without a code on screen", async () => {
    const success = screenEvent(device(), "success");
    const fields = await simulator.service.publish({ deviceId, amountMinor: 4500, currency: "INR", provider: "UPI" });
    expect((await success).fields).toMatchObject({ txn: fields.transactionId });
    expectNoCode(device());
  });

  it("charge -> dynamic UPI and EMVCo codes on screen -> paid -> success", async () => {
    const request = spec();
    const shown = screenEvent(device(), "charge");
    const created = await charges.create(request);
    await shown;
    expect(created.codes.upi).toBe(`upi://pay?pa=chai.corner@okicici&pn=Chai%20Corner&tr=${request.reference}&am=250.50&cu=INR`);
    expect(created.codes.emv).toMatch(/^000201010212/);
    expect(created.codes.emv).toContain(`05${String(request.reference!.length).padStart(2, "0")}${request.reference}`);
    expect(created.codes.emv).toContain("5406250.50");
    expectOnScreen(device(), created.codes.upi!);

    const switched = screenEvent(device(), "charge");
    await device().buttons.press("function", 10);
    await switched;
    expectOnScreen(device(), created.codes.emv!);

    const paid = charges.waitFor(deviceId, created.reference, ["paid", "mismatch"]);
    const success = screenEvent(device(), "success");
    const payment = await payCharge(simulator.service, created, "Google Pay");
    const ack = await paid;
    expect(ack).toMatchObject({ status: "paid", transactionId: payment.transactionId, amountMinor: 25_050, currency: "INR" });
    expect((await success).fields).toMatchObject({ txn: payment.transactionId, ref: created.reference });
    expectNoCode(device());
    expect((await simulator.service.waitForAck(payment.transactionId)).status).toBe("announced");
  });

  // Each charge below replaces whatever transient screen the last one left.
  it("a payment for another amount is shown and reported as a mismatch, never as success", async () => {
    const created = await charges.create(spec({ amountMinor: 50_000 }));
    expectOnScreen(device(), created.codes.upi!);
    const reported = charges.waitFor(deviceId, created.reference, ["paid", "mismatch"]);
    const mismatch = screenEvent(device(), "mismatch");
    const payment = await payCharge(simulator.service, created, "PhonePe", 45_000);
    expect(await reported).toMatchObject({ status: "mismatch", transactionId: payment.transactionId, amountMinor: 45_000 });
    expect((await mismatch).fields).toMatchObject({ paid: 45_000, asked: 50_000 });
    expect(device().log.events.some((e) => e.name === "screen" && e.fields.screen === "success" && e.fields.txn === payment.transactionId)).toBe(false);
    expectNoCode(device());
  });

  it("takes the code off the screen when the charge expires", async () => {
    const created = await charges.create(spec({ expiresInMs: 1500 }));
    expectOnScreen(device(), created.codes.upi!);
    const expired = charges.waitFor(deviceId, created.reference, ["expired"]);
    await screenEvent(device(), "expired", 4000);
    await expired;
    expectNoCode(device());
  });

  it("takes the code off the screen when the charge is cancelled", async () => {
    const created = await charges.create(spec());
    const ack = await charges.cancel(deviceId, created.reference);
    expect(ack.status).toBe("cancelled");
    expect(device().firmware.qr?.screen.state).toBe("cancelled");
    expectNoCode(device());
  });
});

describe("bad charge requests: refused with a reason, the screen keeps its code", () => {
  const deviceId = GUARD.deviceId;
  const device = () => simulator.device(deviceId);
  const key = () => simulator.registry.keyFor(deviceId)!;

  async function refused(spec: Partial<ChargeSpec>): Promise<ChargeRefusedError> {
    const error = await charges.create({ deviceId, amountMinor: 10_000, currency: "INR", reference: reference(), ...spec } as ChargeSpec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChargeRefusedError);
    expectOnScreen(device(), STATIC_LINK);
    return error as ChargeRefusedError;
  }

  /** Raw bytes on the charge topic; `ref` is what the rejection names (nothing, before authentication). */
  async function rawRefused(payload: Uint8Array, ref?: string): Promise<string | undefined> {
    const rejected = new Promise<string | undefined>((resolve) => {
      const stop = charges.onAck((ack) => {
        if (ack.deviceId === deviceId && ack.status === "rejected" && ack.reference === ref) {
          stop();
          resolve(ack.reason);
        }
      });
    });
    await charges.publishRaw(deviceId, payload);
    const reason = await rejected;
    expectOnScreen(device(), STATIC_LINK);
    return reason;
  }

  const body = (ref = reference(), issuedAt = Date.now(), expiresAt = issuedAt + 60_000) =>
    encodeChargeBody({ deviceId, amountMinor: 100, currency: "INR", reference: ref, upi: {} }, issuedAt, expiresAt);

  it("a request that is not CBOR", async () => {
    expect(await rawRefused(new TextEncoder().encode("pay me"))).toBe("not_cbor");
  });

  it("a request signed with another key", async () => {
    expect(await rawRefused(sealEnvelope(body(), { keyId: key().keyId, key: new Uint8Array(32).fill(9) }, "charge"))).toBe("bad_tag");
  });

  it("a payment confirmation's tag presented as a charge (domain separation)", async () => {
    expect(await rawRefused(sealEnvelope(body(), key(), "payment"))).toBe("bad_tag");
  });

  it("an amount of zero", async () => {
    expect((await refused({ amountMinor: 0, upi: {} })).reason).toBe("amount_range");
  });

  it("a charge already expired when it arrives", async () => {
    const ref = reference();
    expect(await rawRefused(sealEnvelope(body(ref, Date.now() - 120_000, Date.now() - 60_000), key(), "charge"), ref)).toBe("expired");
  });

  it("a charge addressed to another device", async () => {
    const ref = reference();
    const other = encodeChargeBody({ deviceId: "qr-portrait", amountMinor: 100, currency: "INR", reference: ref, upi: {} }, Date.now(), Date.now() + 60_000);
    expect(await rawRefused(sealEnvelope(other, key(), "charge"), ref)).toBe("wrong_device");
  });

  it("a charge with no scheme", async () => {
    expect((await refused({})).reason).toBe("no_scheme");
  });

  it("a UPI link for a charge in another currency", async () => {
    expect((await refused({ currency: "THB", upi: {} })).reason).toBe("scheme_currency");
  });

  it("an EMVCo merchant name over 25 characters", async () => {
    const error = await refused({ emv: { ...demoEmvFields(MERCHANT), name: "The Very Long Chai Corner Company" } });
    expect(error.reason).toBe("bad_scheme");
    expect(error.detail).toMatch(/59: merchant name has 33 characters; it takes 1 to 25 \[field_length\]/);
  });

  it("an EMVCo template without its globally unique identifier", async () => {
    const error = await refused({ emv: { ...demoEmvFields(MERCHANT), accounts: { "26": "0119chai.corner@okicici" } } });
    expect(error.detail).toMatch(/template_guid/);
  });

  it("a complete EMVCo payload with a wrong CRC", async () => {
    const good = buildMpm({ initiation: "dynamic", accounts: [{ id: "26", value: mpmTemplate("com.example", { "01": "x@y" }) }], merchantCategoryCode: "5812", currency: "INR", amount: "100.00", country: "IN", merchantName: "Chai Corner", merchantCity: "Bengaluru" });
    const error = await refused({ emv: { payload: `${good.slice(0, -4)}0000` } });
    expect(error.reason).toBe("bad_scheme");
    expect(error.detail).toMatch(/crc_mismatch/);
  });

  it("a complete EMVCo payload whose length fields lie", async () => {
    const good = buildMpm({ initiation: "dynamic", accounts: [{ id: "26", value: mpmTemplate("com.example", { "01": "x@y" }) }], merchantCategoryCode: "5812", currency: "INR", amount: "100.00", country: "IN", merchantName: "Chai Corner", merchantCity: "Bengaluru" });
    const error = await refused({ emv: { payload: good.replace("5911Chai Corner", "5913Chai Corner") } });
    expect(error.reason).toBe("bad_scheme");
  });

  it("a complete EMVCo payload that asks for another amount", async () => {
    const other = buildMpm({ initiation: "dynamic", accounts: [{ id: "26", value: mpmTemplate("com.example", { "01": "x@y" }) }], merchantCategoryCode: "5812", currency: "INR", amount: "1.00", country: "IN", merchantName: "Chai Corner", merchantCity: "Bengaluru" });
    expect((await refused({ emv: { payload: other } })).reason).toBe("amount_differs");
  });

  it("a complete UPI link that asks for another amount", async () => {
    expect((await refused({ upi: { link: "upi://pay?pa=chai.corner@okicici&pn=Chai&am=1.00&cu=INR" } })).reason).toBe("amount_differs");
  });

  it("a complete UPI link with invalid characters", async () => {
    const error = await refused({ upi: { link: "upi://pay?pa=chai.corner@okicici&pn=Chai Corner&am=100.00&cu=INR" } });
    expect(error.detail).toMatch(/raw space/);
  });

  it("a reference with characters outside the protocol's set", async () => {
    const raw = encodeProtocolCbor({ v: 1, ref: "INV 42", amt: 100, cur: "INR", ts: Date.now(), exp: Date.now() + 60_000, dev: deviceId, upi: {} });
    expect(await rawRefused(sealEnvelope(raw, key(), "charge"))).toBe("bad_field");
    await expect(charges.create({ deviceId, amountMinor: 100, currency: "INR", reference: "INV 42", upi: {} })).rejects.toThrow(/charge reference must be/);
  });

  it("a payload too large for the QR the screen can show", async () => {
    const small = simulator.device(SMALL.deviceId);
    const link = `upi://pay?pa=chai.corner@okicici&pn=Chai&tr=R1&am=100.00&cu=INR&tn=${"Chai%20".repeat(7)}&url=https://example.com/${"o".repeat(200)}`;
    const error = await charges.create({ deviceId: SMALL.deviceId, amountMinor: 10_000, currency: "INR", reference: reference(), upi: { link } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChargeRefusedError);
    expect((error as ChargeRefusedError).reason).toBe("too_large_for_screen");
    expect((error as ChargeRefusedError).detail).toMatch(/128x160 screen/);
    expectOnScreen(small, STATIC_LINK);
  });

  it("the device kept running: a good charge still works after all of them", async () => {
    const created = await charges.create({ deviceId, amountMinor: 100, currency: "INR", reference: reference(), upi: {} });
    expectOnScreen(device(), created.codes.upi!);
    await charges.cancel(deviceId, created.reference);
  });
});

it("a signed UPI link is shown byte for byte, not re-encoded", async () => {
  // Encoded the way no builder here would write it (lower-case hex, %40 for '@'): it must stay so.
  const deviceId = SCREENS[1].deviceId;
  const link = "upi://pay?pa=chai.corner%40okicici&pn=Chai%2ccorner&tr=S1&am=100.00&cu=INR&sign=MEUCIQC0ZmFrZS1zaWduYXR1cmU%3D";
  const created = await charges.create({ deviceId, amountMinor: 10_000, currency: "INR", reference: reference(), upi: { link } });
  expect(created.codes.upi).toBe(link);
  expectOnScreen(simulator.device(deviceId), link);
  await charges.cancel(deviceId, created.reference);
});
