/**
 * The QR display's payload and screen code on XS: the public EMVCo and UPI vectors parse and
 * re-encode, the rules hold, the QR encoder gives the standard's known answers, and a QR display
 * (startDevice over the in-memory HAL with a framebuffer) takes a charge from the broker to a
 * frame, then to paid and to mismatch. On XS the payload and layout steps are metered in
 * computrons (the device's QR encoder and HMAC are native; their JavaScript stand-ins here are
 * metered on their own so they can be told apart).
 */
import vectors from "../../fixtures/qr-vectors.json";
import type { DeviceDefaults } from "../../../firmware/config";
import { startDevice } from "../../../firmware/device";
import { Keyring } from "../../../firmware/payments/keyring";
import { formatAmount } from "../../../firmware/money";
import { decodeCbor, encodeCbor, isCborMap, type CborMap, type CborValue } from "../../../firmware/protocol/cbor";
import { messageTag, type MessageKind } from "../../../firmware/protocol/tag";
import { crc16CcittFalse, crcHex } from "../../../firmware/qr/crc16";
import { buildMpm, encodeMpmObjects, mpmTemplate, parseMpm } from "../../../firmware/qr/emvco";
import { buildUpi, encodeUpiParams, parseUpi } from "../../../firmware/qr/upi";
import { utf8Encode } from "../../../firmware/protocol/bytes";
import type { ShowCharge } from "../../../firmware/qr-display/charge-request";
import { layoutScreen } from "../../../firmware/qr-display/layout";
import { chargeOffers } from "../../../firmware/qr-display/offers";
import { QrDisplay } from "../../../firmware/qr-display/qr-display";
import { bannerText, chargeScreen, Colors } from "../../../firmware/qr-display/screens";
import { renderText } from "../../../firmware/qr-display/text";
import type { Crypto } from "../../../hal/crypto";
import type { Display, QrSymbolView } from "../../../hal/display";
import type { QrEncoder } from "../../../hal/qr";
import { ChargeDesk } from "../../../firmware/qr-display/charge-desk";
import { parseChargeRequest } from "../../../firmware/qr-display/charge-request";
import { MemoryDisplay } from "../../../hal/memory/display";
import { MemoryKv } from "../../../hal/memory/kv";
import { createMemoryHal, MemoryBroker, MemoryMqtt, SoftCrypto } from "../../../hal/memory/index";
import { dataCodewordsFor, encodeQr, MemoryQrEncoder, reedSolomon } from "../../../hal/memory/qr-encoder";
import { assert, check, done, equal, info, print } from "./assert";

const resetMeter = (globalThis as { resetMeter?: (limit: number, index: number) => number }).resetMeter;

/** Computrons of `fn` on XS (printed for the bench); on Node it just runs. */
function measure(name: string, fn: () => void): void {
  if (!resetMeter) return fn();
  resetMeter(0, 0);
  fn();
  print(`meter ${name} ${resetMeter(0, 0)}`);
}

const DEVICE = "qr-0001";
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 7) & 0xff);
const MERCHANT = { vpa: "chai.corner@okicici", name: "Chai Corner" };
const EMV = { acct: { "26": mpmTemplate("com.example.upi-global", { "01": MERCHANT.vpa }) }, mcc: "5812", cc: "IN", city: "Bengaluru", label: "UPI Global" };

check("CRC-16/CCITT-FALSE check value", () => {
  equal(crcHex(crc16CcittFalse(utf8Encode(vectors.emvco.crc_check.input))), vectors.emvco.crc_check.crc16_ccitt_false, "crc");
});

check("every public EMVCo payload parses without error and re-encodes to the same text", () => {
  for (const { payload } of vectors.emvco.valid) {
    const parsed = parseMpm(payload);
    assert(parsed.ok, `${payload}: ${parsed.problems.map((p) => p.message).join("; ")}`);
    equal(encodeMpmObjects(parsed.objects), payload, "re-encoded");
  }
  equal(parseMpm(vectors.emvco.valid[0].payload).fields.language?.name, "最佳运输", "64.01");
});

check("every public UPI link parses and re-encodes from its decoded values", () => {
  for (const link of vectors.upi.valid) {
    const parsed = parseUpi(link);
    assert(parsed.ok, `${link}: ${parsed.problems.map((p) => p.message).join("; ")}`);
    equal(encodeUpiParams(parsed.prefix, parsed.params.map((p) => ({ key: p.key, value: p.value as string }))), link, "re-encoded");
  }
});

check("broken rules are named", () => {
  const good = buildMpm({ initiation: "dynamic", accounts: [{ id: "26", value: EMV.acct["26"] }], merchantCategoryCode: "5812", currency: "INR", amount: "10.00", country: "IN", merchantName: "Chai", merchantCity: "Bengaluru" });
  equal(parseMpm(`${good.slice(0, -4)}0000`).problems.map((p) => p.rule), ["crc_mismatch"], "wrong CRC");
  equal(parseUpi("upi://pay?pa=shop@bank&pn=A&am=1,000").problems.map((p) => p.rule), ["amount_format"], "separator");
});

check("QR encoder: the standard's known answers", () => {
  const hello = dataCodewordsFor("HELLO WORLD", 1, "Q");
  equal(hello, vectors.qr.hello_world_1Q.data_codewords, "HELLO WORLD 1-Q data");
  equal(reedSolomon(hello, 13), vectors.qr.hello_world_1Q.ec_codewords, "HELLO WORLD 1-Q error correction");
  const digits = dataCodewordsFor("01234567", 1, "M");
  const hex = (bytes: number[]) => bytes.map((b) => (b < 16 ? "0" : "") + b.toString(16).toUpperCase()).join("");
  assert(hex(digits).startsWith(vectors.qr.digits_01234567_1M.data_codewords_hex_prefix), "01234567 1-M data");
  equal(hex(reedSolomon(digits, 10)), vectors.qr.digits_01234567_1M.ec_codewords_hex, "01234567 1-M error correction");
  equal(encodeQr(vectors.emvco.valid[0].payload).size, 65, "the specification's sample is version 12");
});

// A QR display on the in-memory HAL, with a framebuffer and the JavaScript QR encoder.
const broker = new MemoryBroker();
const hal = createMemoryHal({ deviceId: DEVICE, product: "qr-display", broker, seed: 5 });
const display = new MemoryDisplay(240, 320);
hal.display = display;
hal.qr = new MemoryQrEncoder();
new Keyring(hal.kv).put("k1", KEY);
const DEFAULTS: DeviceDefaults = { brokerHost: "broker.test", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30, merchantVpa: MERCHANT.vpa, merchantName: MERCHANT.name };
const device = startDevice(hal, DEFAULTS);
const service = new MemoryMqtt(broker);
const chargeAcks: CborMap[] = [];
const crypto = new SoftCrypto(3);
service.connect(
  { host: "broker.test", port: 1883, clientId: "service", clean: true, keepalive: 30 },
  {
    onConnect: () => {},
    onDisconnect: (reason) => info(`service disconnected: ${reason}`),
    onMessage: (message, settle) => {
      if (message.topic.endsWith("/charge/ack")) chargeAcks.push(map(decodeCbor(message.payload)));
      settle();
    },
  },
);
service.subscribe("pt/v1/+/charge/ack", 1);
broker.flush();

function map(value: CborValue): CborMap {
  assert(isCborMap(value), "expected a CBOR map");
  return value;
}

function seal(body: CborMap, kind: MessageKind): Uint8Array {
  const bytes = encodeCbor(body);
  return encodeCbor({ v: 1, kid: "k1", body: bytes, tag: messageTag(crypto, KEY, kind, bytes) });
}

function chargeBody(ref: string, amt: number): CborMap {
  const now = hal.clock.now();
  return { v: 1, ref, amt, cur: "INR", ts: now, exp: now + 300_000, dev: DEVICE, upi: {}, emv: { ...EMV } };
}

function send(topic: string, payload: Uint8Array): CborMap | undefined {
  const before = chargeAcks.length;
  service.publish(topic, payload, { qos: 1, retain: false });
  broker.flush();
  return chargeAcks.length > before ? chargeAcks[chargeAcks.length - 1] : undefined;
}

const screen = () => device.qr?.screen.state;

check("the QR display starts idle, showing the merchant's static code", () => {
  assert(device.qr, "the device has a QR terminal");
  equal(device.session.state, "online", "session");
  equal(screen(), "idle", "screen");
});

check("the banner follows the network link: NO NETWORK while it is down, gone once it is back", () => {
  const qr = device.qr;
  assert(qr, "the device has a QR terminal");
  equal(bannerText(qr.screen.status), undefined, "no banner while online");
  const frames = display.frames;
  hal.network.set({ link: "down", rssi: undefined });
  equal(bannerText(qr.screen.status), "NO NETWORK", "link down");
  assert(display.frames > frames, "the screen was redrawn");
  equal(display.pixels[0], Colors.red, "the banner's colour in the top-left pixel");
  hal.network.set({ link: "up", rssi: -58 });
  equal(bannerText(qr.screen.status), undefined, "link back, session still online");
  equal(display.pixels[0], Colors.white, "the banner is gone");
});

check("a charge request becomes a dynamic code on screen and a 'shown' ack with the codes", () => {
  const ack = send(`pt/v1/${DEVICE}/charge`, seal(chargeBody("INV-1", 25_050), "charge"));
  assert(ack, "a charge ack");
  equal(ack.st, "shown", "status");
  const codes = map(ack.qr);
  equal(codes.upi, "upi://pay?pa=chai.corner@okicici&pn=Chai%20Corner&tr=INV-1&am=250.50&cu=INR", "UPI link");
  assert(typeof codes.emv === "string" && parseMpm(codes.emv).ok, "a valid EMVCo payload");
  equal(screen(), "charge", "screen");
  equal(device.qr?.current()?.upiLink, codes.upi, "the current charge's link, for NFC");
});

check("the payment for it shows success and reports 'paid'", () => {
  const now = hal.clock.now();
  const ack = send(`pt/v1/${DEVICE}/pay`, seal({ v: 1, txn: "T-1", amt: 25_050, cur: "INR", prov: "UPI", ts: now, dev: DEVICE, ref: "INV-1" }, "payment"));
  assert(ack, "a charge ack");
  equal([ack.st, ack.ref, ack.txn, ack.amt], ["paid", "INV-1", "T-1", 25_050], "paid");
  equal(screen(), "success", "screen");
});

check("a payment for another amount is a mismatch, reported and never shown as success", () => {
  send(`pt/v1/${DEVICE}/charge`, seal(chargeBody("INV-2", 50_000), "charge"));
  const now = hal.clock.now();
  const ack = send(`pt/v1/${DEVICE}/pay`, seal({ v: 1, txn: "T-2", amt: 45_000, cur: "INR", prov: "UPI", ts: now, dev: DEVICE, ref: "INV-2" }, "payment"));
  assert(ack, "a charge ack");
  equal([ack.st, ack.amt], ["mismatch", 45_000], "mismatch");
  equal(screen(), "mismatch", "screen");
});

check("a charge sealed for another message kind is refused, the screen unchanged", () => {
  const ack = send(`pt/v1/${DEVICE}/charge`, seal(chargeBody("INV-3", 100), "payment"));
  equal(ack?.rc, "bad_tag", "reason");
  equal(screen(), "mismatch", "screen");
});

check("metered: payload and layout steps", () => {
  const charge: ShowCharge = {
    op: "show", reference: "INV-2025-0042", amountMinor: 12_345_650, currency: "INR", issuedAt: hal.clock.now(), expiresAt: hal.clock.now() + 300_000, deviceId: DEVICE,
    upi: { fields: {} }, emv: { accounts: { ...EMV.acct }, mcc: EMV.mcc, country: EMV.cc, city: EMV.city, label: EMV.label },
  };
  let emv = "";
  measure("emvco-build", () => {
    emv = buildMpm({ initiation: "dynamic", accounts: [{ id: "26", value: EMV.acct["26"] }], merchantCategoryCode: "5812", currency: "INR", amount: formatAmount(charge.amountMinor, 2), country: "IN", merchantName: MERCHANT.name, merchantCity: "Bengaluru", additional: { referenceLabel: charge.reference } });
  });
  measure("emvco-parse", () => void parseMpm(emv));
  measure("upi-build", () => void buildUpi({ pa: MERCHANT.vpa, pn: MERCHANT.name, tr: charge.reference, am: "123456.50", cu: "INR" }));
  let offers = chargeOffers(charge, MERCHANT);
  measure("offers", () => {
    offers = chargeOffers(charge, MERCHANT);
  });
  const encoder = new MemoryQrEncoder();
  let size = 0;
  measure("qr-encode-js", () => {
    for (const offer of offers) size = encoder.encode(offer.payload, 20).size;
  });
  const content = chargeScreen({ reference: charge.reference, amountMinor: charge.amountMinor, currency: "INR", label: "UPI Global", offerIndex: 1, offerCount: 2 }, 299_000);
  let layout = layoutScreen({ width: 240, height: 320, banner: 0, symbolSize: size, above: content.above, below: content.below, minModulePixels: 2, preferredModulePixels: 3 });
  measure("layout", () => {
    layout = layoutScreen({ width: 240, height: 320, banner: 0, symbolSize: size, above: content.above, below: content.below, minModulePixels: 2, preferredModulePixels: 3 });
  });
  measure("text-masks", () => {
    for (const text of layout.texts) renderText(text.text, text.scale);
  });
  const frame = new MemoryDisplay(240, 320);
  const qr = new QrDisplay({ display: frame, qr: encoder, timers: hal.timers, clock: hal.clock, log: hal.log });
  qr.setStatus({ online: true });
  const prepared = qr.prepareCharge({ reference: charge.reference, amountMinor: charge.amountMinor, currency: "INR", expiresAt: charge.expiresAt, offers });
  measure("frame-js", () => qr.offerCharge(prepared));
  qr.stop();
  assert(frame.frames === 1, "one frame drawn");
});

check("metered: a whole charge request, envelope to frame (JavaScript HMAC and QR encoder included)", () => {
  const payload = seal(chargeBody("INV-9", 12_345_650), "charge");
  const desk = device.qr?.desk;
  assert(desk, "desk");
  let status = "";
  measure("charge", () => {
    status = desk.receive(payload).status;
  });
  equal(status, "shown", "status");
  measure("hmac-js", () => void messageTag(crypto, KEY, "charge", encodeCbor(chargeBody("INV-9", 12_345_650))));
});

/**
 * The device's own JavaScript for one charge: HMAC, QR encoding and drawing are native calls on
 * the ESP32 (crypt, qrcode, Poco), so here they are stand-ins that answer at once (a tag and
 * symbols computed beforehand, a display that draws nothing) and everything else is metered.
 */
check("metered: a whole charge request with native calls answered at once (the device's JavaScript)", () => {
  const keyring = new Keyring(new MemoryKv());
  keyring.put("k1", KEY);
  const body = encodeCbor(chargeBody("INV-10", 12_345_650));
  const tag = messageTag(crypto, KEY, "charge", body);
  const payload = encodeCbor({ v: 1, kid: "k1", body, tag });
  const request = parseChargeRequest(decodeCbor(body));
  assert(request.op === "show", "a show request");
  const symbols = new Map<string, QrSymbolView>();
  for (const offer of chargeOffers(request, MERCHANT)) symbols.set(offer.payload, new MemoryQrEncoder().encode(offer.payload));
  const native: Crypto = { ...crypto, sha256: (d) => crypto.sha256(d), createSha256: () => crypto.createSha256(), randomBytes: (n) => crypto.randomBytes(n), verifyP256: () => false, hmacSha256: () => tag };
  const encoder: QrEncoder = {
    encode: (input) => {
      const symbol = symbols.get(input as string);
      if (!symbol) throw new Error("no symbol prepared for this input");
      return symbol;
    },
  };
  const blank: Display = { width: 240, height: 320, begin: () => {}, fillRect: () => {}, writeRegion: () => {}, drawMask: () => {}, drawQr: () => {}, end: () => {} };
  const screen = new QrDisplay({ display: blank, qr: encoder, timers: hal.timers, clock: hal.clock, log: hal.log });
  screen.setStatus({ online: true });
  const desk = new ChargeDesk({ deviceId: DEVICE, clock: hal.clock, timers: hal.timers, crypto: native, keyring, log: hal.log, screen, merchant: MERCHANT, publishAck: () => {} });
  let status = "";
  measure("charge-device-js", () => {
    status = desk.receive(payload).status;
  });
  equal(status, "shown", "status");
  desk.stop();
  screen.stop();
});

device.stop();
done();
