/**
 * The charge desk's life cycle on the in-memory HAL with manual time: redeliveries, a reused
 * reference, replacement, expiry, late payments, and a restart in the middle of a charge (the
 * same code comes back, a payment after the restart is still compared with the charge).
 */
import { beforeEach, describe, expect, it } from "@jest/globals";
import { ManualClock, ManualTimers } from "../../hal/memory/clock";
import { MemoryKv } from "../../hal/memory/kv";
import { RecordingLog } from "../../hal/memory/peripherals";
import { Keyring } from "../../firmware/payments/keyring";
import type { JournalEntry } from "../../firmware/payments/journal";
import { ChargeDesk } from "../../firmware/qr-display/charge-desk";
import { CHARGE_DOMAIN } from "../../firmware/qr-display/charge-store";
import { QrDisplay, TRANSIENT_MS } from "../../firmware/qr-display/qr-display";
import { decodeProtocolCbor } from "../../host-sim/service/cbor";
import { demoEmvFields, encodeChargeBody, encodeCancelBody, type ChargeSpec } from "../../host-sim/service/charges";
import { sealEnvelope } from "../../host-sim/service/confirmation";
import { FramebufferDisplay } from "../../host-sim/hal/framebuffer-display";
import { nodeCrypto } from "../../host-sim/hal/node-crypto";
import { hostQrEncoder } from "../../host-sim/hal/qr-encoder";
import { decodeWithJsqr } from "../support/qr-decode";

const DEVICE = "qr-desk";
const KEY = { keyId: "k1", key: new Uint8Array(32).fill(5) };
const MERCHANT = { vpa: "chai.corner@okicici", name: "Chai Corner" };

let clock: ManualClock;
let timers: ManualTimers;
let kv: MemoryKv;

interface Rig {
  desk: ChargeDesk;
  screen: QrDisplay;
  display: FramebufferDisplay;
  acks: Record<string, unknown>[];
  log: RecordingLog;
}

/** A device boot: a fresh screen and desk over the same NVS. */
function boot(): Rig {
  const display = new FramebufferDisplay(240, 320);
  const log = new RecordingLog();
  const screen = new QrDisplay({ display, qr: hostQrEncoder, timers, clock, log, staticPayload: "upi://pay?pa=chai.corner@okicici&pn=Chai%20Corner&cu=INR" });
  screen.setStatus({ online: true });
  screen.showIdle();
  const acks: Record<string, unknown>[] = [];
  const desk = new ChargeDesk({ deviceId: DEVICE, clock, timers, crypto: nodeCrypto, keyring: new Keyring(kv), log, screen, merchant: MERCHANT, kv, publishAck: (p) => acks.push(decodeProtocolCbor(p) as Record<string, unknown>) });
  return { desk, screen, display, acks, log };
}

function charge(reference: string, extra: Partial<ChargeSpec> = {}, expiresInMs = 60_000): Uint8Array {
  const now = clock.now();
  return sealEnvelope(encodeChargeBody({ deviceId: DEVICE, amountMinor: 25_000, currency: "INR", reference, upi: {}, emv: demoEmvFields(MERCHANT), ...extra }, now, now + expiresInMs), KEY, "charge");
}

function payment(reference: string | undefined, amountMinor: number, txn: string): JournalEntry {
  return {
    sequence: 1,
    state: "journaled",
    receivedAt: clock.now(),
    floor: 0,
    confirmation: { transactionId: txn, amountMinor, currency: "INR", provider: "PhonePe", confirmedAt: clock.now(), expiresAt: undefined, deviceId: DEVICE, ...(reference ? { reference } : {}) },
  };
}

beforeEach(() => {
  clock = new ManualClock(Date.UTC(2025, 5, 1, 9, 0, 0));
  timers = new ManualTimers(clock);
  kv = new MemoryKv();
  new Keyring(kv).put(KEY.keyId, KEY.key);
});

describe("one charge at a time", () => {
  it("a redelivered request is answered 'shown' again without a new frame; a reused reference is refused", () => {
    const r = boot();
    const request = charge("R-1");
    expect(r.desk.receive(request).status).toBe("shown");
    const frames = r.display.frames;
    expect(r.desk.receive(request)).toMatchObject({ status: "shown", reference: "R-1" });
    expect(r.display.frames).toBe(frames);
    expect(r.desk.receive(charge("R-1", { amountMinor: 1 }))).toMatchObject({ status: "rejected", reason: "reference_reused" });
  });

  it("a newer charge replaces the one on screen, which is acked 'replaced'", () => {
    const r = boot();
    r.desk.receive(charge("R-1"));
    expect(r.desk.receive(charge("R-2")).status).toBe("shown");
    expect(r.acks.map((a) => [a.st, a.ref])).toEqual([["shown", "R-1"], ["replaced", "R-1"], ["shown", "R-2"]]);
    expect(r.desk.current()?.reference).toBe("R-2");
  });

  it("expires at its deadline; a request for an ended charge is answered with how it ended", () => {
    const r = boot();
    r.desk.receive(charge("R-1", {}, 30_000));
    timers.advance(30_000);
    expect(r.screen.state).toBe("expired");
    expect(r.acks.at(-1)).toMatchObject({ st: "expired", ref: "R-1" });
    expect(r.desk.current()).toBeUndefined();
    expect(r.desk.receive(charge("R-1", {}, 30_000)).status).toBe("expired");
    timers.advance(TRANSIENT_MS.expired);
    expect(r.screen.state).toBe("idle");
  });

  it("a payment for an expired charge is still compared with it", () => {
    const r = boot();
    r.desk.receive(charge("R-1", {}, 30_000));
    timers.advance(31_000);
    r.desk.confirmed(payment("R-1", 20_000, "T-LATE"));
    expect(r.screen.state).toBe("mismatch");
    expect(r.acks.at(-1)).toMatchObject({ st: "mismatch", ref: "R-1", txn: "T-LATE", amt: 20_000 });
  });

  it("a payment without a reference, during a charge, is shown and the charge comes back", () => {
    const r = boot();
    r.desk.receive(charge("R-1"));
    r.desk.confirmed(payment(undefined, 4_500, "T-STATIC"));
    expect(r.screen.state).toBe("success");
    timers.advance(TRANSIENT_MS.success);
    expect(r.screen.state).toBe("charge");
  });

  it("cancel for a charge that is not on screen is refused 'not_active'", () => {
    const r = boot();
    const cancel = sealEnvelope(encodeCancelBody(DEVICE, "NOPE", clock.now()), KEY, "charge");
    expect(r.desk.receive(cancel)).toMatchObject({ status: "rejected", reason: "not_active", reference: "NOPE" });
  });
});

describe("a restart in the middle of a charge", () => {
  it("brings the same code back on screen, and a payment after it is still checked against the charge", () => {
    const before = boot();
    const shown = before.desk.receive(charge("R-9"));
    const link = shown.codes?.upi as string;
    expect(kv.keys(CHARGE_DOMAIN)).toEqual(["active"]);

    // Power cut: the old boot's timers die with it.
    clock.tick(5000);
    timers = new ManualTimers(clock);
    const after = boot();
    after.desk.restore();
    expect(after.screen.state).toBe("charge");
    expect(after.desk.current()).toMatchObject({ reference: "R-9", amountMinor: 25_000, upiLink: link });
    expect(decodeWithJsqr(after.display.toRgba(), 240, 320)).toBe(link);
    expect(after.log.named("charge-restored")).toHaveLength(1);

    after.desk.confirmed(payment("R-9", 24_000, "T-9"));
    expect(after.screen.state).toBe("mismatch");
    expect(after.acks.at(-1)).toMatchObject({ st: "mismatch", ref: "R-9" });
    expect(kv.keys(CHARGE_DOMAIN)).toEqual([]);
  });

  it("a charge whose deadline passed while the device was off is reported expired, and not shown", () => {
    boot().desk.receive(charge("R-8", {}, 10_000));
    clock.tick(60_000);
    timers = new ManualTimers(clock);
    const after = boot();
    after.desk.restore();
    expect(after.screen.state).toBe("idle");
    expect(after.acks).toEqual([expect.objectContaining({ st: "expired", ref: "R-8" })]);
  });

  it("an unreadable stored charge is dropped, and the device starts idle", () => {
    kv.set(CHARGE_DOMAIN, "active", new Uint8Array([0xff, 0x00, 0x13]).buffer);
    const after = boot();
    after.desk.restore();
    expect(after.screen.state).toBe("idle");
    expect(kv.keys(CHARGE_DOMAIN)).toEqual([]);
  });
});
