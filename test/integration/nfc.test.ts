/**
 * NFC end to end on the embedded broker: the QR display's firmware reads a virtual tag through
 * the simulated PN532, the payment service verifies the tap; a card tapped during a charge pays
 * it through the ordinary confirmation path; a phone reads the charge's link; a signed
 * technician's tag re-binds the merchant; forged and replayed taps are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { Simulator } from "../../host-sim/simulator";
import { chargesFor } from "../../host-sim/service/charges";
import { NTAG_URI } from "../../host-sim/nfc/simulated-nfc";
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

  it("a tapped NTAG reaches the payment service, verified, with its NDEF", async () => {
    const event = await tap("ntag213-uri");
    expect(event).toMatchObject({ deviceId: DEVICE, uid: "047bcb51962280", kind: "type2", ndefError: undefined, charge: undefined });
    expect(event.records?.map((r) => r.uri)).toEqual([NTAG_URI]);
  });

  it("a card tapped while a charge is on offer pays it through the confirmation path (charge acked paid)", async () => {
    const charges = await chargesFor(simulator.service, (id) => simulator.registry.keyFor(id));
    const charge = await charges.create({ deviceId: DEVICE, amountMinor: 12_500, currency: "INR", upi: {} });
    const paid = charges.waitFor(DEVICE, charge.reference, ["paid"], 15_000);
    const event = await tap("card-uid4", 200);
    expect(event.charge).toEqual({ reference: charge.reference, amountMinor: 12_500, currency: "INR" });
    expect((await paid).status).toBe("paid");
    expect(simulator.nfc.log.events.filter((e) => e.name === "tap-settled").map((e) => e.fields.charge)).toEqual([charge.reference]);
  });

  it("a phone reads the display's link: the static UPI code when idle", async () => {
    const device = simulator.device(DEVICE);
    // The success screen of the previous test goes back to idle after a few seconds.
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
