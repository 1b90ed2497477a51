/**
 * The MQTT session against the network link, durable acks, and the NVS ring, on XS with the
 * in-memory HAL: time moves only by `timers.advance`, the broker only by `broker.flush`, so every
 * order asserted here is the order the firmware chose, not a race.
 *
 * 1. The session never tries to connect while the link is down, and connects at once (no timer
 *    in between) when the link comes back after its backoff ran out.
 * 2. Backoff still governs broker failures with the link up; a flapping link adds no attempts;
 *    connections that drop right after they are made back off like failures.
 * 3. An ack lost with the connection (the broker went away between announce and ack) is sent again
 *    on the next connect and answers the redelivered confirmation: the service hears "announced";
 *    the same after a power cut between the announcement and the PUBACK.
 * 4. The journal and the command ledger write, through the shared ring, the bytes they always did.
 */
import type { DeviceDefaults } from "../../../firmware/config";
import { startDevice, type Device } from "../../../firmware/device";
import { CommandLedger } from "../../../firmware/commands/ledger";
import { Journal } from "../../../firmware/payments/journal";
import { Keyring } from "../../../firmware/payments/keyring";
import { paymentTag } from "../../../firmware/payments/verify";
import { toHex } from "../../../firmware/protocol/bytes";
import { decodeCbor, encodeCbor, isCborMap, type CborMap } from "../../../firmware/protocol/cbor";
import { deviceTopics } from "../../../firmware/protocol/topics";
import { DEFAULT_BACKOFF, MqttSession } from "../../../firmware/session";
import { createMemoryHal, MemoryBroker, MemoryKv, MemoryMqtt, type MemoryHal } from "../../../hal/memory/index";
import rings from "../../fixtures/nvs-rings.json";
import { assert, check, done, equal } from "./assert";

const DEVICE = "sb-link";
const TOPICS = deviceTopics(DEVICE);
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 11 + 5) & 0xff);
const DEFAULTS: DeviceDefaults = { brokerHost: "broker.test", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 };

/** Runs timers and broker steps together until `ms` have passed: each timer at its own time. */
function run(hal: MemoryHal, ms: number): void {
  const end = hal.clock.monotonic() + ms;
  hal.broker.flush();
  for (let due = hal.timers.nextDue(); due !== undefined && due <= end; due = hal.timers.nextDue()) {
    hal.timers.advance(due - hal.clock.monotonic());
    hal.broker.flush();
  }
  hal.timers.advance(end - hal.clock.monotonic());
  hal.broker.flush();
}

/** Runs as `run` does, but stops as soon as `done` holds; false if it did not within `ms`. */
function runUntil(hal: MemoryHal, done: () => boolean, ms: number): boolean {
  const end = hal.clock.monotonic() + ms;
  hal.broker.flush();
  for (let due = hal.timers.nextDue(); !done() && due !== undefined && due <= end; due = hal.timers.nextDue()) {
    hal.timers.advance(due - hal.clock.monotonic());
    hal.broker.flush();
  }
  return done();
}

function linkDown(hal: MemoryHal): void {
  hal.network.set({ link: "down", rssi: undefined });
  hal.broker.cut(DEVICE, "no network link");
}

function session(hal: MemoryHal): MqttSession {
  const s = new MqttSession({
    mqtt: hal.mqtt,
    timers: hal.timers,
    crypto: hal.crypto,
    log: hal.log,
    topics: TOPICS,
    connect: { host: "broker.test", port: 1883, clientId: DEVICE, keepalive: 30 },
    linkUp: hal.network.status().link === "up",
    onlineStatus: () => encodeCbor({ online: true }),
    offlineStatus: encodeCbor({ online: false }),
    onMessage: (_message, settle) => settle(),
  });
  hal.network.listen((status) => s.link(status.link === "up"));
  return s;
}

/** The session's own account, in order: each attempt (and why), connection and loss. */
function story(hal: MemoryHal, from = 0): string[] {
  return hal.log.events.slice(from).flatMap((e) => {
    if (e.name === "connecting") return [`connecting ${e.fields.cause}`];
    if (e.name === "connected" || e.name === "disconnected") return [e.name];
    return [];
  });
}

check("a session started without a link waits for it, then connects at once", () => {
  const hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox" });
  hal.network.set({ link: "down", rssi: undefined });
  const s = session(hal);
  s.start();
  run(hal, 10 * 60_000);
  equal([s.state, hal.mqtt.connects.length], ["no-link", 0], "after ten minutes without a link");
  hal.network.set({ link: "up", rssi: -60 });
  equal(s.state, "connecting", "state as the link comes up");
  hal.broker.flush();
  equal(s.state, "online", "state once the broker answered, no time passed");
  equal(story(hal), ["connecting link-up", "connected"]);
});

check("Wi-Fi lost for ten minutes: no attempt while it is down, connected before any timer when it returns", () => {
  const hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox" });
  const s = session(hal);
  s.start();
  run(hal, 0);
  equal(s.state, "online", "online at first");
  const mark = hal.log.events.length;
  linkDown(hal);
  run(hal, 10 * 60_000);
  equal([s.state, hal.mqtt.connects.length], ["no-link", 1], "state and connect calls while the link was down");
  const waited = hal.log.named("disconnected")[0].fields.retryInMs as number;
  assert(waited <= DEFAULT_BACKOFF.initialMs, `the one delay taken is the first step, not a grown one (${waited} ms)`);
  const pendingTimers = hal.timers.size;
  hal.network.set({ link: "up", rssi: -60 });
  hal.broker.flush();
  equal(s.state, "online", "online with no time passed");
  equal(hal.timers.size >= pendingTimers, true, "no backoff timer was waited for");
  equal(story(hal, mark), ["disconnected", "connecting link-up", "connected"]);
});

check("broker down with the link up: the delays grow; flapping the link meanwhile adds no attempt", () => {
  const hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox" });
  const s = session(hal);
  hal.broker.available = false;
  s.start();
  // Five minutes of broker outage while the link flaps every 250 ms (up for 125 ms, down for 125).
  for (let t = 0; t < 5 * 60_000; t += 250) {
    run(hal, 125);
    hal.network.set({ link: "down", rssi: undefined });
    run(hal, 125);
    hal.network.set({ link: "up", rssi: -60 });
  }
  const delays = hal.log.named("disconnected").map((e) => e.fields.retryInMs as number);
  const attempts = hal.mqtt.connects.length;
  // Each failure's delay has the ceiling initial * 2^n (capped), at least half of it (equal jitter).
  delays.forEach((delay, n) => {
    const ceiling = Math.min(DEFAULT_BACKOFF.maxMs, DEFAULT_BACKOFF.initialMs * 2 ** n);
    assert(delay >= ceiling / 2 && delay <= ceiling, `delay ${n}: ${delay} ms is not within [${ceiling / 2}, ${ceiling}]`);
  });
  // 1200 link-ups, and no more attempts than failures (each attempt after the first one's delay).
  equal(attempts, delays.length, "attempts = failures");
  assert(attempts <= 12, `${attempts} attempts in five minutes (the backoff schedule allows at most 12)`);
  const causes = hal.log.named("connecting").map((e) => e.fields.cause);
  equal(causes.filter((c) => c === "start").length, 1, "one start");
  hal.broker.available = true;
  run(hal, DEFAULT_BACKOFF.maxMs);
  equal(s.state, "online", "back once the broker is");
});

check("a link that drops each connection as soon as it is made: delays grow, and start over once one lasts", () => {
  const hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox" });
  const s = session(hal);
  s.start();
  run(hal, 0);
  for (let n = 0; n < 6; n++) {
    equal(s.state, "online", `connection ${n + 1}`);
    linkDown(hal);
    run(hal, 50);
    hal.network.set({ link: "up", rssi: -60 });
    // Back as soon as the session's own delay allows, and dropped again at once.
    assert(runUntil(hal, () => s.state === "online", DEFAULT_BACKOFF.maxMs), `reconnected after loss ${n + 1}`);
  }
  const delays = hal.log.named("disconnected").map((e) => e.fields.retryInMs as number);
  equal(delays.length, 6, "losses");
  delays.forEach((delay, n) => {
    const ceiling = DEFAULT_BACKOFF.initialMs * 2 ** n;
    assert(delay >= ceiling / 2 && delay <= ceiling, `loss ${n}: ${delay} ms is not within [${ceiling / 2}, ${ceiling}]`);
  });
  run(hal, DEFAULT_BACKOFF.stableMs);
  linkDown(hal);
  hal.broker.flush();
  equal(hal.log.named("disconnected").length, 7, "losses");
  const after = hal.log.named("disconnected").at(-1)?.fields.retryInMs as number;
  assert(after <= DEFAULT_BACKOFF.initialMs, `after a stable connection the delay starts over (${after} ms)`);
});

check("a tracked publication reports the broker's PUBACK, and not when its connection dropped first", () => {
  const hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox" });
  const s = session(hal);
  const taken: string[] = [];
  s.publishTracked(TOPICS.acks, new Uint8Array([1]), () => taken.push("offline"));
  s.start();
  run(hal, 0);
  equal(hal.broker.publishedOn(TOPICS.acks).length, 0, "nothing kept from before the connection");
  s.publishTracked(TOPICS.acks, new Uint8Array([2]), () => taken.push("a"));
  hal.broker.flush();
  s.publishTracked(TOPICS.acks, new Uint8Array([3]), () => taken.push("b"));
  hal.broker.cut(DEVICE);
  hal.broker.flush();
  equal(taken, ["a"]);
  equal(hal.mqtt.lost.map((l) => l.payload[0]), [3], "lost with the connection");
});

// The device: the payment service's side is a MemoryMqtt client of the same broker.

function envelope(hal: MemoryHal, txn: string, amt: number): Uint8Array {
  const now = hal.clock.now();
  const body = encodeCbor({ v: 1, txn, amt, cur: "INR", prov: "UPI", ts: now - 1000, dev: DEVICE, exp: now + 10 * 60_000 });
  return encodeCbor({ v: 1, kid: "k1", body, tag: paymentTag(hal.crypto, KEY, body) });
}

interface World {
  hal: MemoryHal;
  device: Device;
  service: MemoryMqtt;
  acks: CborMap[];
}

function world(broker = new MemoryBroker(), kv?: MemoryKv, hook?: (line: string) => void): World {
  const hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox", broker, kv, echo: hook });
  if (!kv) new Keyring(hal.kv).put("k1", KEY);
  const acks: CborMap[] = [];
  const service = new MemoryMqtt(broker);
  service.connect(
    { host: "broker.test", port: 1883, clientId: `service-${broker.published.length}`, clean: false, keepalive: 30 },
    {
      onConnect: () => {},
      onDisconnect: () => {},
      onMessage: (message, settle) => {
        const ack = decodeCbor(message.payload);
        if (isCborMap(ack)) acks.push(ack);
        settle();
      },
    },
  );
  service.subscribe(TOPICS.acks, 1);
  broker.flush();
  const device = startDevice(hal, DEFAULTS);
  run(hal, 0);
  return { hal, device, service, acks };
}

const acksFor = (w: World, txn: string) => w.acks.filter((a) => a.txn === txn).map((a) => a.st);

check("the broker goes away between announce and ack: the ack goes out again on reconnect, the copy is answered announced", () => {
  let cutAt: string | undefined;
  let w: World | undefined;
  w = world(new MemoryBroker(), undefined, (line) => {
    // The connection dies the moment the payment is announced, before its ack is published.
    if (cutAt && line.startsWith("info announced") && line.includes(cutAt)) w?.hal.broker.cut(DEVICE, "broker gone");
  });
  const { hal, device } = w;
  cutAt = "T-OUT";
  w.service.publish(TOPICS.payments, envelope(hal, "T-OUT", 15000), { qos: 1, retain: false });
  hal.broker.flush();
  equal(hal.mqtt.lost.map((l) => l.topic), [TOPICS.acks], "the ack died with the connection");
  equal(acksFor(w, "T-OUT"), [], "the service heard nothing");
  equal(device.pipeline.counters.announced, 1, "announced once");
  // The service's retry waits at the broker for the device.
  w.service.publish(TOPICS.payments, envelope(hal, "T-OUT", 15000), { qos: 1, retain: false });
  run(hal, DEFAULT_BACKOFF.initialMs);
  equal(device.session.state, "online", "reconnected");
  equal(acksFor(w, "T-OUT"), ["announced", "announced"], "the resent ack, then the answer to the redelivered copy");
  equal(device.pipeline.counters.announced, 1, "still announced once");
  equal(hal.log.named("acks-resent").map((e) => e.fields.count), [1], "acks resent on connect");
  const entry = new Journal(hal.kv).find("T-OUT");
  equal(entry?.state, "acked", "journal state once the broker took it");
  // Taken: a later copy is a plain duplicate.
  w.service.publish(TOPICS.payments, envelope(hal, "T-OUT", 15000), { qos: 1, retain: false });
  hal.broker.flush();
  equal(acksFor(w, "T-OUT").at(-1), "duplicate", "after the PUBACK");
  device.stop();
});

check("a power cut between the announcement and the PUBACK: the next boot sends the ack", () => {
  const broker = new MemoryBroker();
  let armed = false;
  let w: World | undefined;
  w = world(broker, undefined, (line) => {
    if (armed && line.startsWith("info announced")) {
      armed = false;
      w?.hal.broker.cut(DEVICE, "power lost");
    }
  });
  armed = true;
  w.service.publish(TOPICS.payments, envelope(w.hal, "T-CUT", 2000), { qos: 1, retain: false });
  broker.flush();
  equal(acksFor(w, "T-CUT"), [], "no ack before the power cut");
  const flash = w.hal.kv.snapshot();
  const clock = w.hal.clock;
  const hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox", broker, clock, kv: MemoryKv.restore(flash) });
  const device = startDevice(hal, DEFAULTS);
  run(hal, 0);
  equal(device.session.state, "online", "the new boot is online");
  equal(acksFor(w, "T-CUT"), ["announced"], "the service hears announced from the new boot");
  equal(device.pipeline.counters.announced, 0, "not announced again");
  equal(new Journal(hal.kv).unacked(), [], "nothing outstanding");
  device.stop();
});

check("the journal and the ledger write, through the shared ring, the bytes they always did", () => {
  const kv = new MemoryKv();
  const base = 1_763_700_000_000;
  const journal = new Journal(kv, 4);
  for (let n = 1; n <= 6; n++) {
    const entry = journal.append(
      {
        transactionId: `T${n}`, amountMinor: n * 1250, currency: n % 2 ? "INR" : "THB", provider: n % 3 ? "UPI" : "PromptPay",
        confirmedAt: base + n * 1000, deviceId: "sb-1", expiresAt: n % 2 ? base + n * 1000 + 60_000 : undefined,
        ...(n === 4 ? { reference: "R-0004" } : {}),
      },
      base + n * 1000 + 250,
    );
    if (n === 6) continue;
    journal.markAnnounced(entry);
    journal.markAcked(entry);
  }
  const ledger = new CommandLedger(kv, 4);
  for (let n = 1; n <= 6; n++) {
    const entry = ledger.begin({ id: `C${n}`, name: "config", args: {}, deviceId: "sb-1", issuedAt: base + n * 500, expiresAt: base + n * 500 + 60_000 });
    if (n % 3 === 1) ledger.finish(entry, "ok");
    else if (n % 3 === 2) ledger.finish(entry, "rejected");
  }
  const expected = rings.kv as Record<string, Record<string, string>>;
  for (const domain of ["journal", "cmdlog"]) {
    const keys = kv.keys(domain).sort();
    equal(keys, Object.keys(expected[domain]).sort(), `${domain} keys`);
    for (const key of keys) equal(toHex(new Uint8Array(kv.get(domain, key) as ArrayBuffer)), expected[domain][key], `${domain}/${key}`);
  }
  equal(new Journal(kv, 4).floor, base + 2000, "journal floor after a restart");
  equal(new CommandLedger(kv, 4).floor, base + 1000, "ledger floor after a restart");
});

done();
