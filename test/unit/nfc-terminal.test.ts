/**
 * NFC in the QR display (firmware/nfc/terminal.ts through startDevice): a tapped tag becomes an
 * authenticated message on pt/v1/{id}/tap, checked here with node:crypto and cbor-x rather than
 * the firmware's own code; phones read the payment link; provisioning tags are applied only when
 * the operator signed them for this device, and every other one is refused with its reason.
 */
import { describe, expect, it } from "@jest/globals";
import { createHmac } from "node:crypto";
import { decode } from "cbor-x";
import type { DeviceDefaults } from "../../firmware/config";
import { startDevice } from "../../firmware/device";
import { decodeNdef, parseUri } from "../../firmware/nfc/ndef";
import { Keyring } from "../../firmware/payments/keyring";
import { createMemoryHal, MemoryBroker, MemoryMqtt, type MemoryHal } from "../../hal/memory/index";
import type { MqttInbound } from "../../hal/mqtt";
import { MemoryDisplay } from "../../hal/memory/display";
import { hostQrEncoder } from "../../host-sim/hal/qr-encoder";
import { encodeProtocolCbor } from "../../host-sim/service/cbor";
import { sealEnvelope } from "../../host-sim/service/confirmation";
import { operatorKeyPair, provisioningMessage, provisioningTag, type ProvisioningTagInput } from "../../host-sim/nfc/provisioning-writer";
import { NTAG_URI, SimulatedNfc } from "../../host-sim/nfc/simulated-nfc";

const DEVICE = "qr-0001";
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);
const OPERATOR = operatorKeyPair(Uint8Array.from({ length: 32 }, (_, i) => i + 1));
const MERCHANT = { vpa: "demo.store@okaxis", name: "Demo Store" };
const STATIC_LINK = "upi://pay?pa=demo.store@okaxis&pn=Demo%20Store&cu=INR";

function boot(options: { key?: boolean; operatorKey?: Uint8Array | null; display?: boolean } = {}) {
  const broker = new MemoryBroker();
  const hal: MemoryHal = createMemoryHal({ deviceId: DEVICE, product: "qr-display", broker, seed: 3 });
  if (options.display) {
    hal.display = new MemoryDisplay(240, 320);
    hal.qr = hostQrEncoder;
  }
  const nfc = new SimulatedNfc({ timers: hal.timers, bus: "i2c" });
  hal.nfc = nfc.transport;
  if (options.key !== false) new Keyring(hal.kv).put("k1", KEY);
  const defaults: DeviceDefaults = {
    brokerHost: "broker.test",
    brokerPort: 1883,
    brokerTls: false,
    language: "en-in",
    keepalive: 30,
    merchantVpa: MERCHANT.vpa,
    merchantName: MERCHANT.name,
  };
  if (options.operatorKey !== null) defaults.operatorKey = Buffer.from(options.operatorKey ?? OPERATOR.publicKey).toString("hex");
  const service = new MemoryMqtt(broker);
  const taps: MqttInbound[] = [];
  service.connect({ host: "broker.test", port: 1883, clientId: "svc", clean: true, keepalive: 30 }, {
    onConnect: () => {},
    onDisconnect: () => {},
    onMessage: (message, settle) => {
      taps.push(message);
      settle();
    },
  });
  service.subscribe("pt/v1/+/tap", 1);
  const device = startDevice(hal, defaults);
  const run = (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      hal.timers.advance(50);
      broker.flush();
    }
  };
  run(500);
  const tap = (kind: Parameters<SimulatedNfc["placeTag"]>[0]) => {
    // While the display presents its link, polls alternate with card-mode windows: a tag is
    // found within one cycle and counted gone after two cycles without it.
    nfc.placeTag(kind);
    run(1000);
    nfc.removeTag();
    run(1500);
  };
  return { hal, nfc, device, taps, run, tap, service };
}

/** The service's check of a tap: HMAC over "payterm/v1/tap\0" || body, then the body. */
function open(message: MqttInbound) {
  const envelope = decode(message.payload) as { v: number; kid: string; body: Uint8Array; tag: Uint8Array };
  const expected = createHmac("sha256", KEY).update("payterm/v1/tap\0", "utf8").update(envelope.body).digest();
  expect(Buffer.from(envelope.tag).equals(expected)).toBe(true);
  expect(envelope.kid).toBe("k1");
  return decode(envelope.body) as Record<string, unknown>;
}

describe("taps reach the payment service, authenticated", () => {
  it("an NTAG213 with a URI: UID, kind and the NDEF message", () => {
    const r = boot();
    r.tap("ntag213-uri");
    expect(r.taps.map((m) => [m.topic, m.qos])).toEqual([[`pt/v1/${DEVICE}/tap`, 1]]);
    const body = open(r.taps[0]);
    expect(body).toMatchObject({ v: 1, dev: DEVICE, kind: "type2", atqa: 0x44, sak: 0 });
    expect(Buffer.from(body.uid as Uint8Array).toString("hex")).toBe("047bcb51962280");
    expect((body.n as Uint8Array).length).toBe(8);
    const at = Number(body.at);
    expect(at).toBeLessThanOrEqual(r.hal.clock.now());
    expect(at).toBeGreaterThan(r.hal.clock.now() - 3000);
    expect(parseUri(decodeNdef(body.ndef as Uint8Array)[0])).toBe(NTAG_URI);
    expect(body.err).toBeUndefined();
    expect(r.device.nfc?.counters.taps).toBe(1);
  });

  it("a card without NDEF: its UID only; a corrupt tag: its bytes and the error code", () => {
    const r = boot();
    r.tap("card-uid4");
    r.tap("corrupt-ndef");
    const [card, corrupt] = r.taps.map(open);
    expect(card).toMatchObject({ kind: "card", sak: 8 });
    expect(card.ndef).toBeUndefined();
    expect(corrupt.err).toBe("ndef");
    expect((corrupt.ndef as Uint8Array).length).toBe(14);
  });

  it("two taps carry different nonces (the service refuses a replayed body)", () => {
    const r = boot();
    r.tap("ntag213-uri");
    r.tap("ntag213-uri");
    const [a, b] = r.taps.map(open);
    expect(Buffer.from(a.n as Uint8Array).equals(Buffer.from(b.n as Uint8Array))).toBe(false);
  });

  it("without a device key nothing is sent, and the log says why", () => {
    const r = boot({ key: false });
    r.tap("ntag213-uri");
    expect(r.taps).toEqual([]);
    expect(r.hal.log.named("nfc-tap-unsent").length).toBe(1);
    expect(r.device.nfc?.counters.unsent).toBe(1);
  });
});

describe("phones tapping the display", () => {
  it("open the merchant's UPI link (the static code's payload)", () => {
    const r = boot();
    r.nfc.placeTag("phone");
    r.run(2000);
    expect(r.nfc.phone.reads.map((read) => read.uri)).toEqual([STATIC_LINK]);
    expect(r.device.nfc?.counters.phoneReads).toBe(1);
    expect(r.taps).toEqual([]);
  });
});

describe("phones tapping the display during a charge", () => {
  it("open the charge's UPI link, and the static one again once it is withdrawn", () => {
    const r = boot({ display: true });
    const now = r.hal.clock.now();
    const charge = (body: Record<string, unknown>) =>
      r.service.publish(`pt/v1/${DEVICE}/charge`, sealEnvelope(encodeProtocolCbor({ v: 1, dev: DEVICE, ts: now, ...body } as never), { keyId: "k1", key: KEY }, "charge"), { qos: 1, retain: false });
    charge({ ref: "R-42", amt: 25000, cur: "INR", exp: now + 120_000, upi: {} });
    r.run(500);
    const link = r.device.qr?.current()?.upiLink;
    expect(link).toMatch(/^upi:\/\/pay\?pa=demo\.store@okaxis.*am=250\.00/);
    r.nfc.placeTag("phone");
    r.run(2000);
    r.nfc.removeTag();
    // A card tapped now names the charge, so the service can settle it with the card.
    r.tap("card-uid4");
    expect(open(r.taps[0]).chg).toEqual({ ref: "R-42", amt: 25000, cur: "INR" });
    charge({ ref: "R-42", op: "cancel" });
    r.run(1500);
    r.nfc.placeTag("phone");
    r.run(2000);
    expect(r.nfc.phone.reads.map((read) => read.uri)).toEqual([link, STATIC_LINK]);
    r.nfc.removeTag();
    r.run(2000);
    r.tap("card-uid4");
    expect(open(r.taps[1]).chg).toBeUndefined();
  });
});

describe("provisioning tags", () => {
  const now = () => Date.UTC(2025, 0, 1);
  const settings = (extra: Partial<ProvisioningTagInput> = {}): ProvisioningTagInput => ({
    deviceId: DEVICE,
    seq: 7,
    expiresAt: now() + 3_600_000,
    wifi: { ssid: "Shop Wi-Fi", psk: "correct horse battery" },
    broker: { host: "mqtt.operator.example", port: 8883, tls: true },
    merchant: { vpa: "new.shop@okhdfc", name: "New Shop" },
    ...extra,
  });

  it("a tag the operator signed for this device is applied, and the device restarts on it", () => {
    const r = boot();
    r.nfc.placeTag(provisioningTag(provisioningMessage(settings(), OPERATOR.secretKey)));
    r.run(800);
    expect(r.hal.log.named("nfc-provisioned").map((e) => e.fields.seq)).toEqual([7]);
    expect(r.hal.kv.get("config", "url")).toBe("mqtts://mqtt.operator.example:8883");
    expect(r.hal.kv.get("config", "vpa")).toBe("new.shop@okhdfc");
    expect(r.hal.kv.get("config", "payee")).toBe("New Shop");
    expect(r.hal.kv.get("config", "ssid")).toBe("Shop Wi-Fi");
    expect(r.hal.kv.get("nfc", "provSeq")).toBe(7);
    expect(r.hal.system.restarts).toBe(0);
    r.run(1600);
    expect(r.hal.system.restarts).toBe(1);
    // Its contents, a Wi-Fi passphrase among them, never leave the device.
    expect(r.taps).toEqual([]);
  });

  const refusals: [string, () => Uint8Array, string, { operatorKey?: Uint8Array | null }][] = [
    ["unsigned", () => provisioningMessage(settings(), undefined), "unsigned", {}],
    ["signed by another key", () => provisioningMessage(settings(), operatorKeyPair().secretKey), "bad-signature", {}],
    ["for another device", () => provisioningMessage(settings({ deviceId: "qr-0002" }), OPERATOR.secretKey), "wrong-device", {}],
    ["expired", () => provisioningMessage(settings({ expiresAt: now() - 1 }), OPERATOR.secretKey), "expired", {}],
    ["with a bad merchant VPA", () => provisioningMessage(settings({ merchant: { vpa: "no-at-sign", name: "X" } }), OPERATOR.secretKey), "malformed", {}],
    ["with a bad port", () => provisioningMessage(settings({ broker: { host: "h.example", port: 0, tls: false } }), OPERATOR.secretKey), "malformed", {}],
    ["with a short passphrase", () => provisioningMessage(settings({ wifi: { ssid: "x", psk: "short" } }), OPERATOR.secretKey), "malformed", {}],
    ["with a control character in the SSID", () => provisioningMessage(settings({ wifi: { ssid: "Shop\u0000Wi-Fi", psk: "correct horse battery" } }), OPERATOR.secretKey), "malformed", {}],
    ["with a 33-byte SSID", () => provisioningMessage(settings({ wifi: { ssid: "चाय".repeat(3) + "x".repeat(6), psk: "correct horse battery" } }), OPERATOR.secretKey), "malformed", {}],
    ["setting nothing", () => provisioningMessage({ deviceId: DEVICE, seq: 7, expiresAt: now() + 1000 }, OPERATOR.secretKey), "empty", {}],
    ["on a device with no operator key", () => provisioningMessage(settings(), OPERATOR.secretKey), "no-operator-key", { operatorKey: null }],
  ];

  it.each(refusals)("a tag %s is refused", (_what, make, reason, options) => {
    const r = boot(options);
    r.nfc.placeTag(provisioningTag(make()));
    r.run(3000);
    const refused = r.hal.log.named("nfc-provisioning-refused");
    expect(refused.map((e) => e.fields.reason)).toEqual([reason]);
    expect(r.hal.kv.keys("config")).toEqual([]);
    expect(r.hal.kv.get("nfc", "provSeq")).toBeUndefined();
    expect(r.hal.system.restarts).toBe(0);
    expect(r.taps).toEqual([]);
  });

  it("a tag applied once cannot be applied again (replay), nor an older one", () => {
    const r = boot();
    r.hal.kv.set("nfc", "provSeq", 7);
    r.nfc.placeTag(provisioningTag(provisioningMessage(settings(), OPERATOR.secretKey)));
    r.run(1000);
    r.nfc.removeTag();
    r.run(2000);
    r.nfc.placeTag(provisioningTag(provisioningMessage(settings({ seq: 3 }), OPERATOR.secretKey)));
    r.run(1000);
    expect(r.hal.log.named("nfc-provisioning-refused").map((e) => [e.fields.reason, e.fields.detail])).toEqual([
      ["replayed", "sequence 7 is not after the last one applied (7)"],
      ["replayed", "sequence 3 is not after the last one applied (7)"],
    ]);
  });

  it("a tampered body (one byte changed after signing) fails the signature", () => {
    const r = boot();
    const message = provisioningMessage(settings(), OPERATOR.secretKey);
    const at = Buffer.from(message).indexOf(Buffer.from("mqtt.operator.example"));
    message[at] ^= 0x01;
    r.nfc.placeTag(provisioningTag(message));
    r.run(1000);
    expect(r.hal.log.named("nfc-provisioning-refused").map((e) => e.fields.reason)).toEqual(["bad-signature"]);
  });
});
