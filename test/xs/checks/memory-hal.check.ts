/**
 * The in-memory HAL (hal/memory) itself, on XS: the broker's MQTT 3.1.1 semantics, virtual time,
 * the recording audio queue, the NVS-like store. Runs on Node too (the suite runs it on both).
 */
import { utf8Encode } from "../../../firmware/protocol/bytes";
import { KV_RESERVED_KEY, KvError } from "../../../hal/kv";
import { ManualClock, ManualTimers, MemoryBroker, MemoryKv, MemoryMqtt, MemoryNetwork, RecordingAudio, topicMatches } from "../../../hal/memory/index";
import type { MqttConnectOptions, MqttInbound } from "../../../hal/mqtt";
import { check, done, equal, throws } from "./assert";

interface Client {
  mqtt: MemoryMqtt;
  inbox: MqttInbound[];
  settles: (() => void)[];
  events: string[];
  connect(options?: Partial<MqttConnectOptions>): void;
}

function client(broker: MemoryBroker, clientId: string, autoSettle = true): Client {
  const c: Client = {
    mqtt: new MemoryMqtt(broker),
    inbox: [],
    settles: [],
    events: [],
    connect(options = {}) {
      c.mqtt.connect(
        { host: "h", port: 1883, clientId, clean: true, keepalive: 30, ...options },
        {
          onConnect: ({ sessionPresent }) => c.events.push(`connect ${sessionPresent}`),
          onDisconnect: (reason) => c.events.push(`disconnect ${reason}`),
          onMessage: (message, settle) => {
            c.inbox.push(message);
            if (autoSettle) settle();
            else c.settles.push(settle);
          },
        },
      );
    },
  };
  return c;
}

const text = (message: MqttInbound) => String.fromCharCode(...message.payload);
const bytes = (s: string) => utf8Encode(s);

check("topic filters: + one level, # the rest and the parent, $ topics not under a leading wildcard (4.7)", () => {
  equal(topicMatches("pt/v1/+/ack", "pt/v1/sb-1/ack"), true);
  equal(topicMatches("pt/v1/+/ack", "pt/v1/sb-1/x/ack"), false);
  equal(topicMatches("pt/#", "pt/v1/sb-1/ack"), true);
  equal(topicMatches("pt/#", "pt"), true);
  equal(topicMatches("#", "$SYS/uptime"), false);
  equal(topicMatches("+/uptime", "$SYS/uptime"), false);
  equal(topicMatches("$SYS/#", "$SYS/uptime"), true);
  equal(topicMatches("a/+", "a/"), true);
  equal(topicMatches("a/b", "a/b/c"), false);
});

check("connect is answered on flush, never inside the call", () => {
  const broker = new MemoryBroker();
  const a = client(broker, "a");
  a.connect();
  equal(a.events, []);
  broker.flush();
  equal(a.events, ["connect false"]);
  throws(() => a.connect(), "already connected");
  throws(() => a.mqtt.subscribe("a/#/b", 0), "invalid topic filter");
  throws(() => a.mqtt.publish("a/+", bytes("x"), { qos: 0, retain: false }), "invalid topic name");
});

check("QoS is the lower of publication and subscription; overlapping filters deliver once", () => {
  const broker = new MemoryBroker();
  const a = client(broker, "a");
  const b = client(broker, "b");
  a.connect();
  b.connect();
  b.mqtt.subscribe("t/+", 0);
  b.mqtt.subscribe("t/#", 1);
  b.mqtt.subscribe("q0", 0);
  a.mqtt.publish("t/1", bytes("one"), { qos: 1, retain: false });
  a.mqtt.publish("q0", bytes("two"), { qos: 1, retain: false });
  broker.flush();
  equal(b.inbox.map((m) => [m.topic, text(m), m.qos, m.retain]), [["t/1", "one", 1, false], ["q0", "two", 0, false]]);
});

check("retained messages: new subscribers get them with retain set; an empty payload clears (3.3.1.3)", () => {
  const broker = new MemoryBroker();
  const a = client(broker, "a");
  a.connect();
  a.mqtt.publish("s/1", bytes("on"), { qos: 1, retain: true });
  broker.flush();
  const b = client(broker, "b");
  b.connect();
  b.mqtt.subscribe("s/+", 1);
  broker.flush();
  equal(b.inbox.map((m) => [text(m), m.retain]), [["on", true]]);
  a.mqtt.publish("s/1", bytes("off"), { qos: 1, retain: true });
  broker.flush();
  equal(b.inbox.map((m) => [text(m), m.retain]), [["on", true], ["off", false]], "established subscription gets retain = false");
  a.mqtt.publish("s/1", new Uint8Array(0), { qos: 0, retain: true });
  broker.flush();
  equal(broker.retained("s/1"), undefined);
});

check("the will goes out on cut and on takeover, not on disconnect (3.1.2.5)", () => {
  const broker = new MemoryBroker();
  const watcher = client(broker, "w");
  watcher.connect();
  watcher.mqtt.subscribe("will/+", 0);
  const will = (id: string) => ({ topic: `will/${id}`, payload: bytes(`${id} gone`), qos: 1 as const, retain: true });
  const a = client(broker, "a");
  a.connect({ will: will("a") });
  const b = client(broker, "b");
  b.connect({ will: will("b") });
  broker.flush();
  b.mqtt.disconnect();
  broker.cut("a");
  broker.flush();
  equal(watcher.inbox.map(text), ["a gone"]);
  equal(a.events, ["connect false", "disconnect connection lost"]);
  equal(b.events, ["connect false"], "no onDisconnect after the client's own disconnect");
  const c1 = client(broker, "c");
  c1.connect({ will: will("c") });
  broker.flush();
  const c2 = client(broker, "c");
  c2.connect();
  broker.flush();
  equal(watcher.inbox.map(text), ["a gone", "c gone"]);
  equal(c1.events, ["connect false", "disconnect session taken over"]);
  equal(c2.events, ["connect false"]);
});

check("persistent session: subscriptions kept, QoS 1 queued while away, QoS 0 not (3.1.2.4)", () => {
  const broker = new MemoryBroker();
  const sender = client(broker, "s");
  sender.connect();
  const d = client(broker, "d");
  d.connect({ clean: false });
  d.mqtt.subscribe("x/#", 1);
  broker.flush();
  broker.cut("d");
  broker.flush();
  sender.mqtt.publish("x/1", bytes("kept"), { qos: 1, retain: false });
  sender.mqtt.publish("x/2", bytes("gone"), { qos: 0, retain: false });
  broker.flush();
  equal(broker.session("d")?.queued, 1);
  d.connect({ clean: false });
  broker.flush();
  equal(d.events.slice(-1), ["connect true"]);
  equal(d.inbox.map(text), ["kept"]);
  broker.cut("d");
  d.connect({ clean: true });
  broker.flush();
  equal(d.events.slice(-1), ["connect false"], "clean start has no session");
  sender.mqtt.publish("x/3", bytes("nobody"), { qos: 1, retain: false });
  broker.flush();
  equal(d.inbox.map(text), ["kept"], "clean session lost its subscriptions");
});

check("unsettled QoS 1 messages are redelivered on reconnect; settled ones are not (4.4)", () => {
  const broker = new MemoryBroker();
  const sender = client(broker, "s");
  sender.connect();
  const d = client(broker, "d", false);
  d.connect({ clean: false });
  d.mqtt.subscribe("x", 1);
  broker.flush();
  sender.mqtt.publish("x", bytes("m1"), { qos: 1, retain: false });
  sender.mqtt.publish("x", bytes("m2"), { qos: 1, retain: false });
  broker.flush();
  equal(broker.session("d")?.inflight, 2);
  d.settles[0]();
  d.settles[0]();
  equal(broker.session("d")?.inflight, 1, "settle is idempotent");
  broker.cut("d");
  d.settles[1]();
  equal(broker.session("d")?.inflight, 1, "a settle after the connection ended does nothing");
  d.connect({ clean: false });
  broker.flush();
  equal(d.inbox.map(text), ["m1", "m2", "m2"]);
  d.settles[2]();
  equal(broker.session("d")?.inflight, 0);
});

check("publications after the connection dropped, before onDisconnect, are lost", () => {
  const broker = new MemoryBroker();
  const a = client(broker, "a");
  a.connect();
  broker.flush();
  broker.cut("a");
  a.mqtt.publish("t", bytes("late"), { qos: 1, retain: false });
  broker.flush();
  equal(a.mqtt.lost.map((m) => m.topic), ["t"]);
  equal(broker.publishedOn("t"), []);
  a.mqtt.disconnect();
  throws(() => a.mqtt.publish("t", bytes("x"), { qos: 0, retain: false }), "without a connection");
});

check("a QoS 1 publication is acknowledged to its client (PUBACK) after the broker took it; QoS 0 never", () => {
  const broker = new MemoryBroker();
  const a = client(broker, "a");
  a.connect();
  broker.flush();
  const pubacks: string[] = [];
  a.mqtt.publish("t", bytes("one"), { qos: 1, retain: false }, () => pubacks.push("one"));
  a.mqtt.publish("t", bytes("zero"), { qos: 0, retain: false }, () => pubacks.push("zero"));
  equal(pubacks, [], "nothing inside the call");
  broker.flush();
  equal(pubacks, ["one"]);
  a.mqtt.publish("t", bytes("two"), { qos: 1, retain: false }, () => pubacks.push("two"));
  broker.flush();
  a.mqtt.publish("t", bytes("three"), { qos: 1, retain: false }, () => pubacks.push("three"));
  broker.cut("a");
  broker.flush();
  equal(pubacks, ["one", "two"], "none for what the dropped connection carried");
});

check("network: every listener hears each change in order; one removed mid-way, or one that throws, stops no other", () => {
  const network = new MemoryNetwork();
  const heard: string[] = [];
  let removeB: () => void = () => {};
  network.listen((s) => {
    heard.push(`a ${s.link}`);
    removeB();
  });
  removeB = network.listen((s) => heard.push(`b ${s.link}`));
  network.listen(() => {
    throw new Error("listener c broke");
  });
  const removeD = network.listen((s) => heard.push(`d ${s.link}`));
  throws(() => network.set({ link: "down", rssi: undefined }), "listener c broke");
  equal(heard, ["a down", "b down", "d down"], "the first change: b was removed while it went round, and still heard it");
  removeD();
  throws(() => network.set({ link: "up", rssi: -50 }), "listener c broke");
  equal(heard.slice(3), ["a up"], "the second change");
  network.forgetListeners();
  network.set({ link: "down" });
  equal(heard.length, 4, "nobody listens after a power cut");
  // A down link reports no signal, and why: the radio's own drop is "lost" (hal/network.ts).
  equal(network.status(), { link: "down", rssi: undefined, reason: "lost" });
});

check("refused connections: broker unavailable, credentials refused", () => {
  const broker = new MemoryBroker({ authenticate: (o) => o.password === "secret" });
  const a = client(broker, "a");
  a.connect({ password: "nope" });
  broker.flush();
  broker.available = false;
  a.connect({ password: "secret" });
  broker.flush();
  broker.available = true;
  a.connect({ password: "secret" });
  broker.flush();
  equal(a.events, ["disconnect not authorized", "disconnect server unavailable", "connect false"]);
});

check("timers run in due order at their due time; repeat repeats; clear clears", () => {
  const clock = new ManualClock(1_000_000);
  const timers = new ManualTimers(clock);
  const log: string[] = [];
  timers.once(() => log.push(`b@${clock.monotonic()}`), 20);
  timers.once(() => log.push(`a@${clock.monotonic()}`), 10);
  const r = timers.repeat(() => log.push(`r@${clock.monotonic()}`), 15);
  const gone = timers.once(() => log.push("never"), 5);
  timers.clear(gone);
  timers.once(() => {
    log.push(`c@${clock.monotonic()}`);
    timers.once(() => log.push(`nested@${clock.monotonic()}`), 0);
  }, 20);
  equal(timers.advance(35), 6, "timers run");
  equal(log, ["a@10", "r@15", "b@20", "c@20", "nested@20", "r@30"]);
  equal([clock.monotonic(), clock.now()], [35, 1_000_035]);
  timers.clear(r);
  equal(timers.advance(100), 0);
});

check("audio: capacity 8, unknown clips refused, callbacks run in order, flush drops callbacks", () => {
  const audio = new RecordingAudio({ clips: ["a", "b"], clipMs: 100 });
  const log: string[] = [];
  audio.enqueueClip("a");
  audio.enqueueCallback(() => log.push(`after a: ${audio.played.join()}`));
  audio.enqueueClip("b");
  throws(() => audio.enqueueClip("zz"), "no clip");
  audio.advance(150);
  equal([audio.played, log, audio.pending()], [["a"], ["after a: a"], 1]);
  audio.drain();
  equal(audio.played, ["a", "b"]);
  for (let i = 0; i < 8; i++) audio.enqueueClip("a");
  throws(() => audio.enqueueClip("a"), "queue full");
  audio.flush();
  equal(audio.pending(), 0);
  throws(() => audio.setVolume(2), "volume");
});

check("kv: NVS limits, copies in and out, snapshot and restore", () => {
  const kv = new MemoryKv();
  throws(() => kv.set("journal", "a-name-too-long!", 1), "1 to 15", KvError);
  throws(() => kv.set("d", "k", 2 ** 31), "int32", KvError);
  throws(() => kv.set("d", "k", new ArrayBuffer(3969)), "exceeds 3968", KvError);
  throws(() => kv.set("d", KV_RESERVED_KEY, 1), "reserved", KvError);
  const buffer = new Uint8Array([1, 2, 3]);
  kv.set("d", "blob", buffer.buffer);
  buffer[0] = 9;
  const read = kv.get("d", "blob") as ArrayBuffer;
  equal(new Uint8Array(read)[0], 1, "copied in");
  new Uint8Array(read)[1] = 9;
  equal(new Uint8Array(kv.get("d", "blob") as ArrayBuffer)[1], 2, "copied out");
  const every = new Uint8Array(3968);
  for (let i = 0; i < every.length; i++) every[i] = (i * 7 + 3) & 0xff;
  kv.set("d", "full", every.buffer);
  const full = new Uint8Array(kv.get("d", "full") as ArrayBuffer);
  equal([full.length, full.findIndex((byte, i) => byte !== every[i])], [3968, -1], "every byte value, the largest blob: length and first difference");
  kv.set("d", "empty", new ArrayBuffer(0));
  equal((kv.get("d", "empty") as ArrayBuffer).byteLength, 0, "an empty blob");
  kv.set("d", "chars", "\u0001\u00ff");
  equal(kv.get("d", "chars"), "\u0001\u00ff", "a string stays a string");
  kv.delete("d", "full");
  kv.delete("d", "empty");
  kv.delete("d", "chars");
  kv.set("d", "n", -5);
  kv.set("e", "s", "text");
  const restored = MemoryKv.restore(kv.snapshot());
  kv.set("d", "n", 6);
  equal([restored.get("d", "n"), restored.get("e", "s"), restored.keys("d")], [-5, "text", ["blob", "n"]]);
  restored.writable = false;
  throws(() => restored.set("d", "n", 1), "not writable", KvError);
});

done();
