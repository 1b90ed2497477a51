/**
 * NFC end to end on the embedded broker: the QR display's firmware reads a virtual tag through
 * the simulated PN532, the payment service verifies the tap and its acquirer decides it. The card
 * and the phone wallet it issued pay an open charge through the ordinary confirmation path; a
 * tag, a UID-only card, a Type 4 tag, a foreign payment card and a provisioning tag pay nothing
 * (the charge stays open: the display still cancels it); taps naming another amount, an unknown
 * or a closed charge are declined. A phone reads the charge's link; a signed technician's tag
 * re-binds the merchant; forged and replayed taps are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { encodeTap } from "../../firmware/nfc/tap";
import type { DeviceEvent } from "../../host-sim/device/event-log";
import { nodeCrypto } from "../../host-sim/hal/node-crypto";
import { Simulator } from "../../host-sim/simulator";
import { chargesFor, type ChargeAckMessage, type ChargeService, type CreatedCharge } from "../../host-sim/service/charges";
import { NTAG_URI, SIM_INSTRUMENTS } from "../../host-sim/nfc/simulated-nfc";
import type { TapEvent } from "../../host-sim/nfc/tap-receiver";

const DEVICE = "qr-nfc-1";

function decodeScreen(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
}

describe("NFC on the QR display, end to end", () => {
  let simulator: Simulator;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "payterm-nfc-"));
    simulator = await Simulator.start({ stateDir, devices: [{ deviceId: DEVICE, product: "qr-display" }], announcementWavs: false });
    await simulator.device(DEVICE).log.waitFor((e) => e.name === "connected" || (e.name === "session" && e.fields.state === "online"), 10_000);
  });

  afterAll(async () => {
    await simulator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function tap(kind: string, holdMs = 1500): Promise<TapEvent> {
    const arrived = new Promise<TapEvent>((resolve) => {
      const stop = simulator.nfc.taps.onTap((event) => {
        stop();
        resolve(event);
      });
    });
    simulator.nfc.placeTag(DEVICE, kind);
    const event = await arrived;
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    simulator.nfc.removeTag(DEVICE);
    await simulator.device(DEVICE).log.waitFor((e) => e.name === "nfc-leave", 5000);
    return event;
  }

  /** Taps `kind` and resolves with the acquirer's decision on it (tap-settled or tap-declined). */
  async function decided(kind: string): Promise<DeviceEvent> {
    const decision = simulator.nfc.log.waitFor((e) => e.name === "tap-settled" || e.name === "tap-declined", 10_000);
    await tap(kind, 200);
    return decision;
  }

  async function openCharge(amountMinor: number): Promise<{ charges: ChargeService; charge: CreatedCharge; acks: ChargeAckMessage[] }> {
    const charges = await chargesFor(simulator.service, (id) => simulator.registry.keyFor(id));
    const charge = await charges.create({ deviceId: DEVICE, amountMinor, currency: "INR", upi: {} });
    const acks: ChargeAckMessage[] = [];
    charges.onAck((ack) => {
      if (ack.reference === charge.reference) acks.push(ack);
    });
    return { charges, charge, acks };
  }

  /** A charge the display still cancels was never paid on it. */
  async function expectStillOpen(charges: ChargeService, charge: CreatedCharge, acks: ChargeAckMessage[]): Promise<void> {
    expect(charges.book.get(DEVICE, charge.reference)?.status).toBe("shown");
    expect((await charges.cancel(DEVICE, charge.reference)).status).toBe("cancelled");
    expect(acks.map((a) => a.status)).toEqual(["cancelled"]);
  }

  it("a tapped NTAG reaches the payment service, verified, with its NDEF, and is not a payment instrument", async () => {
    const declined = simulator.nfc.log.waitFor((e) => e.name === "tap-declined", 10_000);
    const event = await tap("ntag213-uri");
    expect(event).toMatchObject({ deviceId: DEVICE, uid: "047bcb51962280", kind: "type2", ndefError: undefined, aid: undefined, charge: undefined });
    expect(event.records?.map((r) => r.uri)).toEqual([NTAG_URI]);
    expect((await declined).fields).toMatchObject({ uid: "047bcb51962280", reason: "not_payment_instrument", detail: "an NDEF tag (UID 047bcb51962280)" });
  });

  it("the card the acquirer issued pays the open charge through the confirmation path (charge acked paid)", async () => {
    const { charges, charge } = await openCharge(12_500);
    const paid = charges.waitFor(DEVICE, charge.reference, ["paid"], 15_000);
    const settled = await decided("payment-card");
    expect(simulator.nfc.taps.received.at(-1)).toMatchObject({ aid: "a0000005241010", charge: { reference: charge.reference, amountMinor: 12_500, currency: "INR" } });
    expect(settled.name).toBe("tap-settled");
    expect(settled.fields).toMatchObject({ charge: charge.reference, provider: "card", instrument: "RuPay card" });
    expect((await paid).transactionId).toBe(settled.fields.txn);
  });

  it("the phone wallet pays as Google Pay", async () => {
    const device = simulator.device(DEVICE);
    // The success screen of the previous test goes back to idle after a few seconds.
    for (let i = 0; i < 200 && device.firmware.qr?.screen.state !== "idle"; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const { charges, charge } = await openCharge(4_000);
    const paid = charges.waitFor(DEVICE, charge.reference, ["paid"], 15_000);
    const settled = await decided("phone-wallet");
    expect(settled.fields).toMatchObject({ charge: charge.reference, provider: "Google Pay" });
    expect((await paid).amountMinor).toBe(4_000);
    expect(charges.book.get(DEVICE, charge.reference)?.status).toBe("paid");
  });

  it("a UID-only card, a Type 4 tag and a payment card the acquirer did not issue pay nothing: declined, the charge stays open", async () => {
    const { charges, charge, acks } = await openCharge(3_000);
    const outcomes: unknown[] = [];
    for (const kind of ["card-uid4", "type4-ndef", "foreign-card"]) {
      const decision = await decided(kind);
      outcomes.push([decision.name, decision.fields.reason, decision.fields.charge]);
    }
    expect(outcomes).toEqual([
      ["tap-declined", "not_payment_instrument", charge.reference],
      ["tap-declined", "not_payment_instrument", charge.reference],
      ["tap-declined", "not_payment_instrument", charge.reference],
    ]);
    expect(simulator.nfc.log.events.at(-1)?.fields.detail).toBe("payment application a0000000041010 on UID 3c9e20d4 is not an instrument this acquirer issued");
    await expectStillOpen(charges, charge, acks);
  });

  it("a provisioning tag held during a charge is not sent as a tap and pays nothing", async () => {
    const { charges, charge, acks } = await openCharge(3_500);
    const received = simulator.nfc.taps.received.length;
    const refused = simulator.device(DEVICE).log.waitFor((e) => e.name === "nfc-provisioning-refused", 10_000);
    simulator.nfc.placeTag(DEVICE, "provisioning", { expiresAt: Date.now() - 60_000 });
    expect((await refused).fields.reason).toBe("expired");
    simulator.nfc.removeTag(DEVICE);
    await simulator.device(DEVICE).log.waitFor((e) => e.name === "nfc-leave", 5000);
    // Taps travel in order on the device's connection: the next one is the first since.
    await tap("ntag213-uri", 200);
    expect(simulator.nfc.taps.received.slice(received).map((t) => t.uid)).toEqual(["047bcb51962280"]);
    await expectStillOpen(charges, charge, acks);
  });

  it("the issued card's tap naming another amount, an unknown charge or a closed one is declined", async () => {
    const key = simulator.registry.keyFor(DEVICE)!;
    const { uid, aid } = SIM_INSTRUMENTS["payment-card"];
    const card = { uid, aid, atqa: 0x0004, sak: 0x20, ats: undefined, kind: "type4" as const, ndef: undefined, records: undefined, ndefError: undefined };
    const { charges, charge, acks } = await openCharge(7_000);
    const closed = simulator.nfc.log.events.find((e) => e.name === "tap-settled")?.fields.charge as string;
    const client = await mqtt.connectAsync(simulator.brokerUrl, { clientId: "crafted-taps", clean: true, protocolVersion: 4 });
    try {
      const reasons: unknown[] = [];
      for (const named of [
        { reference: charge.reference, amountMinor: 7_001, currency: "INR" },
        { reference: "NO-SUCH-CHARGE", amountMinor: 7_000, currency: "INR" },
        { reference: closed, amountMinor: 12_500, currency: "INR" },
      ]) {
        const declined = simulator.nfc.log.waitFor((e) => e.name === "tap-declined", 10_000);
        const payload = encodeTap(card, { deviceId: DEVICE, at: Date.now(), crypto: nodeCrypto, key, charge: named });
        await client.publishAsync(`pt/v1/${DEVICE}/tap`, Buffer.from(payload), { qos: 1 });
        const event = await declined;
        reasons.push([event.fields.reason, event.fields.charge]);
      }
      expect(reasons).toEqual([
        ["amount_differs", charge.reference],
        ["unknown_charge", "NO-SUCH-CHARGE"],
        ["charge_not_open", closed],
      ]);
    } finally {
      await client.endAsync();
    }
    await expectStillOpen(charges, charge, acks);
  });

  it("a phone reads the display's link: the static UPI code when idle", async () => {
    const device = simulator.device(DEVICE);
    // A cancelled charge's screen goes back to idle after a few seconds.
    for (let i = 0; i < 200 && device.firmware.qr?.screen.state !== "idle"; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const read = simulator.nfc.log.waitFor((e) => e.name === "phone-read", 5000);
    simulator.nfc.placeTag(DEVICE, "phone");
    const uri = (await read).fields.uri as string;
    simulator.nfc.removeTag(DEVICE);
    expect(uri).toBe(decodeScreen(device.display!.toPng()));
    expect(uri).toMatch(/^upi:\/\/pay\?pa=demo\.store@okaxis/);
  });

  it("forged and replayed taps are refused by the service", async () => {
    const key = simulator.registry.keyFor(DEVICE)!;
    const client = await mqtt.connectAsync(simulator.brokerUrl, { clientId: "rogue", clean: true, protocolVersion: 4 });
    try {
      const captured = new Promise<Buffer>((resolve) => {
        client.on("message", (_topic, payload) => resolve(payload));
      });
      await client.subscribeAsync(`pt/v1/${DEVICE}/tap`, { qos: 1 });
      const original = tap("card-uid4", 200);
      const bytes = await captured;
      await original;
      const refusals: string[] = [];
      const stop = simulator.nfc.taps.onRefused((refusal) => refusals.push(refusal.reason));
      await client.publishAsync(`pt/v1/${DEVICE}/tap`, bytes, { qos: 1 });
      const forged = Buffer.from(bytes);
      forged[forged.length - 1] ^= 0x01;
      await client.publishAsync(`pt/v1/${DEVICE}/tap`, forged, { qos: 1 });
      await client.publishAsync(`pt/v1/${DEVICE}/tap`, Buffer.from("not cbor at all"), { qos: 1 });
      for (let i = 0; i < 50 && refusals.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      stop();
      expect(refusals).toEqual(["replayed", "bad_tag", "bad_envelope"]);
      expect(key.keyId.length).toBeGreaterThan(0);
    } finally {
      await client.endAsync();
    }
  });

  it("a technician's signed tag re-binds the merchant; the display restarts showing the new code", async () => {
    const device = simulator.device(DEVICE);
    const provisioned = device.log.waitFor((e) => e.name === "nfc-provisioned", 5000);
    simulator.nfc.placeTag(DEVICE, "provisioning", { merchant: { vpa: "new.counter@okhdfc", name: "New Counter" } });
    expect((await provisioned).fields.keys).toBe("ssid,psk,vpa,payee");
    simulator.nfc.removeTag(DEVICE);
    await device.log.waitFor((e) => e.name === "screen" && e.fields.screen === "idle", 10_000);
    expect(decodeScreen(device.display!.toPng())).toMatch(/^upi:\/\/pay\?pa=new\.counter@okhdfc&pn=New%20Counter/);
    // After the restart the reader works again (the PN532 was power-cycled with the board).
    const event = await tap("type4-ndef", 200);
    expect(event.kind).toBe("type4");
  });
});
