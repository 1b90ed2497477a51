/**
 * The firmware slice on XS: startDevice over the in-memory HAL, a soundbox, payments delivered by
 * the in-memory broker as the payment service would send them (docs/protocol.md):
 *
 *   envelope = CBOR {v: 1, kid, body: bstr, tag: bstr}
 *   body     = CBOR {v: 1, txn, amt, cur, prov, ts, dev, exp?}
 *   tag      = HMAC-SHA256(key, utf8("payterm/v1/pay\0") || body)
 *
 * One scenario, step by step; each step is a check.
 */
import type { DeviceDefaults } from "../../../firmware/config";
import { startDevice, type Device } from "../../../firmware/device";
import { Keyring } from "../../../firmware/payments/keyring";
import { paymentTag } from "../../../firmware/payments/verify";
import { concatBytes, utf8Encode } from "../../../firmware/protocol/bytes";
import { decodeCbor, encodeCbor, isCborMap, type CborMap, type CborValue } from "../../../firmware/protocol/cbor";
import { createMemoryHal, MemoryBroker, MemoryKv, MemoryMqtt, SoftCrypto, type MemoryHal } from "../../../hal/memory/index";
import type { MqttInbound } from "../../../hal/mqtt";
import { assert, check, done, equal, info } from "./assert";

const DEVICE = "sb-0001";
const KEY_ID = "k1";
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const DEFAULTS: DeviceDefaults = { brokerHost: "broker.test", brokerPort: 8883, brokerTls: true, language: "en-in", keepalive: 30 };

/** Every clip of the en-in pack the announcements here need, and some they do not. */
const CLIPS = [
  "received", "and", "on", "hundred", "thousand", "lakh", "crore", "rupee", "rupees", "paisa", "paise",
  "n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11", "n12", "n13", "n14", "n15", "n16", "n17", "n18", "n19",
  "n20", "n30", "n40", "n50", "n60", "n70", "n80", "n90", "prov_upi", "prov_paytm", "device_ready",
];

const TOPIC = { pay: `pt/v1/${DEVICE}/pay`, ack: `pt/v1/${DEVICE}/ack`, status: `pt/v1/${DEVICE}/status` };
const crypto = new SoftCrypto(99);

/** The service's side: sign and wrap a body exactly as the protocol says, independent of firmware code. */
function envelope(body: CborMap, options: { key?: Uint8Array; kid?: string } = {}): Uint8Array {
  const bodyBytes = encodeCbor(body);
  const domain = utf8Encode("payterm/v1/pay\u0000");
  const tag = crypto.hmacSha256(options.key ?? KEY, concatBytes(domain, bodyBytes));
  return encodeCbor({ v: 1, kid: options.kid ?? KEY_ID, body: bodyBytes, tag });
}

function payment(txn: string, amt: number, extra: CborMap = {}): CborMap {
  const now = clockNow();
  return { v: 1, txn, amt, cur: "INR", prov: "UPI", ts: now - 1000, dev: DEVICE, exp: now + 60_000, ...extra };
}

function map(value: CborValue): CborMap {
  assert(isCborMap(value), "expected a CBOR map");
  return value;
}

// The scenario's world: one broker, the payment service's client, the device.
const broker = new MemoryBroker();
let hal: MemoryHal = createMemoryHal({ deviceId: DEVICE, product: "soundbox", broker, clips: CLIPS, seed: 7 });
const clockNow = () => hal.clock.now();
const service = new MemoryMqtt(broker);
const acks: CborMap[] = [];
const statuses: MqttInbound[] = [];
service.connect(
  { host: "broker.test", port: 8883, clientId: "payment-service", clean: true, keepalive: 30 },
  {
    onConnect: () => {},
    onDisconnect: (reason) => info(`service disconnected: ${reason}`),
    onMessage: (message, settle) => {
      if (message.topic === TOPIC.ack) acks.push(map(decodeCbor(message.payload)));
      else statuses.push(message);
      settle();
    },
  },
);
service.subscribe("pt/v1/+/ack", 1);
service.subscribe("pt/v1/+/status", 1);
broker.flush();

function send(payload: Uint8Array): CborMap {
  const before = acks.length;
  service.publish(TOPIC.pay, payload, { qos: 1, retain: false });
  broker.flush();
  equal(acks.length, before + 1, "acks after one payment");
  return acks[acks.length - 1];
}

let device: Device;

/** A soundbox says "device ready" at boot; the checks below start from a quiet speaker. */
function bootPromptPlayed(): void {
  const audio = hal.audio;
  assert(audio, "soundbox has audio");
  audio.drain();
  equal(audio.played, ["device_ready"], "played at boot");
  audio.played.length = 0;
  audio.playedVolumes.length = 0;
  audio.enqueued.length = 0;
}
const FIRST = envelope(payment("T-0001", 25050));
const FIRST_CLIPS = ["received", "n2", "hundred", "n50", "rupees", "and", "n50", "paise", "on", "prov_upi"];

check("provisioning: the key goes into the keyring (kv domain keys)", () => {
  new Keyring(hal.kv).put(KEY_ID, KEY);
  equal(new Keyring(hal.kv).get(KEY_ID), KEY);
  equal(hal.kv.keys("keys"), [KEY_ID]);
});

check("startDevice connects with a persistent session and an offline will, then goes online", () => {
  device = startDevice(hal, DEFAULTS);
  broker.flush();
  equal(device.session.state, "online", "session state");
  const connect = hal.mqtt.connects[0];
  equal([connect.clientId, connect.clean, connect.host, connect.port, connect.keepalive], [DEVICE, false, "broker.test", 8883, 30]);
  equal(connect.will?.topic, TOPIC.status, "will topic");
  equal(map(decodeCbor(connect.will?.payload ?? new Uint8Array(0))).online, false, "will says offline");
  equal(broker.session(DEVICE)?.subscriptions, [TOPIC.pay, `pt/v1/${DEVICE}/cmd`, `pt/v1/${DEVICE}/upd/data`], "subscriptions");
  const status = map(decodeCbor(broker.retained(TOPIC.status)?.payload ?? new Uint8Array(0)));
  equal([status.v, status.online, status.product, status.fw], [1, true, "soundbox", "0.0.0-test"], "retained status");
  equal(hal.log.named("started").length, 1, "started events");
  bootPromptPlayed();
});

check("the tag the service computes is the firmware's paymentTag", () => {
  const body = encodeCbor(payment("T-x", 1));
  const domain = utf8Encode("payterm/v1/pay\u0000");
  equal(paymentTag(hal.crypto, KEY, body), crypto.hmacSha256(KEY, concatBytes(domain, body)));
});

check("a signed payment is announced and acked", () => {
  const ack = send(FIRST);
  equal(ack, { v: 1, st: "announced", at: hal.clock.now(), txn: "T-0001", seq: 1 }, "ack");
  equal(broker.session(DEVICE)?.inflight, 0, "unacknowledged deliveries (settled after journaling)");
  equal(device.pipeline.counters.announced, 1, "announced counter");
  const verified = hal.log.named("announced")[0];
  equal(verified.fields.clips, FIRST_CLIPS.join(" "), "announced clips");
  equal(verified.fields.amount, "250.50", "announced amount");
});

check("the announcement is queued in batches that fit the 8-item audio queue", () => {
  const audio = hal.audio;
  assert(audio, "soundbox has audio");
  equal(audio.enqueued, FIRST_CLIPS.slice(0, 7), "first batch");
  equal(audio.pending(), 8, "queue items (7 clips and the feeding callback)");
  equal(audio.played, [], "played before any time passes");
});

check("the clips play in order, all of them", () => {
  const audio = hal.audio;
  assert(audio, "soundbox has audio");
  audio.drain();
  equal(audio.played, FIRST_CLIPS, "played");
  equal(audio.enqueued, FIRST_CLIPS, "enqueued");
  equal(hal.log.named("played").map((e) => e.fields.kind), ["status", "payment"], "played events (the boot prompt, the payment)");
  equal(hal.log.named("clip-missing").length, 0, "missing clips");
});

check("a replay is acked duplicate and not announced again", () => {
  const ack = send(FIRST);
  equal(ack, { v: 1, st: "duplicate", at: hal.clock.now(), txn: "T-0001", rc: "duplicate", seq: 1 }, "ack");
  equal(hal.audio?.pending(), 0, "audio queue");
  equal(hal.audio?.enqueued.length, FIRST_CLIPS.length, "clips enqueued in all");
  equal(device.pipeline.counters.duplicates, 1, "duplicates counter");
});

const REJECTIONS: [name: string, payload: () => Uint8Array, reason: string, txn: string | undefined][] = [
  ["a forged tag", () => {
    const value = map(decodeCbor(envelope(payment("T-0002", 100))));
    const tag = (value.tag as Uint8Array).slice();
    tag[0] ^= 0x01;
    return encodeCbor({ ...value, tag });
  }, "bad_tag", undefined],
  ["a body signed with another key", () => envelope(payment("T-0002", 100), { key: new Uint8Array(32).fill(9) }), "bad_tag", undefined],
  ["a payload that is not CBOR", () => utf8Encode("hello, device"), "not_cbor", undefined],
  ["a body without a currency", () => {
    const body = payment("T-0003", 100);
    delete body.cur;
    return envelope(body);
  }, "missing_field", "T-0003"],
  ["an unknown key id", () => envelope(payment("T-0004", 100), { kid: "k9" }), "unknown_key", undefined],
  ["a payment for another device", () => envelope(payment("T-0005", 100, { dev: "sb-0002" })), "wrong_device", "T-0005"],
  ["an expired payment", () => envelope(payment("T-0006", 100, { exp: clockNow() - 1 })), "expired", "T-0006"],
  ["an amount of zero", () => envelope(payment("T-0007", 0)), "amount_range", "T-0007"],
  ["an oversized payload", () => new Uint8Array(1025), "too_large", undefined],
];

for (const [name, payload, reason, txn] of REJECTIONS) {
  check(`${name} is rejected (${reason}) and nothing is announced`, () => {
    const ack = send(payload());
    const expected: CborMap = { v: 1, st: "rejected", at: hal.clock.now(), rc: reason };
    if (txn !== undefined) expected.txn = txn;
    equal({ ...ack }, expected, "ack");
    equal(hal.audio?.pending(), 0, "audio queue");
    equal(broker.session(DEVICE)?.inflight, 0, "rejected deliveries are settled too");
  });
}

check("after the rejections the device is still online and announces the next payment", () => {
  equal(device.session.state, "online", "session state");
  equal(device.pipeline.counters.rejected, REJECTIONS.length, "rejected counter");
  const ack = send(envelope(payment("T-0008", 100)));
  equal([ack.st, ack.txn, ack.seq], ["announced", "T-0008", 2], "ack");
  hal.audio?.drain();
  equal(hal.audio?.played.slice(FIRST_CLIPS.length), ["received", "n1", "rupee", "on", "prov_upi"], "played");
});

check("a dropped connection publishes the offline will; a payment sent meanwhile waits in the session", () => {
  broker.cut(DEVICE);
  broker.flush();
  equal(device.session.state, "waiting", "session state");
  equal(map(decodeCbor(broker.retained(TOPIC.status)?.payload ?? new Uint8Array(0))).online, false, "retained status");
  service.publish(TOPIC.pay, envelope(payment("T-0009", 7500)), { qos: 1, retain: false });
  broker.flush();
  equal(broker.session(DEVICE)?.queued, 1, "queued for the absent device");
});

check("after the backoff the device reconnects, resumes its session and announces what waited", () => {
  const before = acks.length;
  hal.timers.advance(1000);
  broker.flush();
  equal(device.session.state, "online", "session state");
  equal(hal.log.named("connected").map((e) => e.fields.sessionPresent), [false, true], "sessionPresent per connect");
  equal(acks.slice(before).map((a) => [a.st, a.txn]), [["announced", "T-0009"]], "acks");
  equal(map(decodeCbor(broker.retained(TOPIC.status)?.payload ?? new Uint8Array(0))).online, true, "retained status");
  hal.audio?.drain();
  equal(hal.audio?.played.slice(-6), ["received", "n70", "n5", "rupees", "on", "prov_upi"], "played");
});

check("a reboot (new device over the same flash) keeps the journal: replays stay duplicates", () => {
  const flash = hal.kv.snapshot();
  broker.cut(DEVICE, "power lost");
  broker.flush();
  hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox", broker, clock: hal.clock, kv: MemoryKv.restore(flash), clips: CLIPS, seed: 8 });
  device = startDevice(hal, DEFAULTS);
  broker.flush();
  bootPromptPlayed();
  equal(device.session.state, "online", "session state");
  equal(hal.log.named("recovered").length, 0, "nothing left unannounced");
  equal([send(FIRST).st, send(envelope(payment("T-0009", 7500))).st], ["duplicate", "duplicate"], "replayed acks");
  equal(hal.audio?.enqueued, [], "nothing announced again");
  const ack = send(envelope(payment("T-0010", 123456)));
  equal([ack.st, ack.seq], ["announced", 4], "the journal's sequence continues");
  hal.audio?.drain();
  equal(hal.audio?.played, ["received", "n1", "thousand", "n2", "hundred", "n30", "n4", "rupees", "and", "n50", "n6", "paise", "on", "prov_upi"], "played");
});

check("stop publishes offline and closes without the will", () => {
  const willsBefore = broker.published.filter((r) => r.will).length;
  device.stop();
  broker.flush();
  equal(device.session.state, "stopped", "session state");
  equal(broker.published.filter((r) => r.will).length, willsBefore, "wills");
  equal(map(decodeCbor(broker.retained(TOPIC.status)?.payload ?? new Uint8Array(0))).online, false, "retained status");
  equal(statuses.length > 0, true, "the service saw status messages");
});

done();
