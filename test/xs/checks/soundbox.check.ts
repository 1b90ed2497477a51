/**
 * The soundbox's playback behaviour on XS: burst policy, no cut-offs, prompt priority, volume,
 * replay, today's summary with its local-midnight rollover, and the buttons. Time is the memory
 * HAL's (ManualClock and ManualTimers), the speaker a RecordingAudio with the 8-item queue of
 * pins/audioout, the words English (India).
 */
import type { DeviceDefaults } from "../../../firmware/config";
import { startDevice, type Device } from "../../../firmware/device";
import { Journal, type JournalEntry } from "../../../firmware/payments/journal";
import { Keyring } from "../../../firmware/payments/keyring";
import { paymentTag } from "../../../firmware/payments/verify";
import { decodeCbor, encodeCbor, isCborMap, type CborMap } from "../../../firmware/protocol/cbor";
import { CONFIG_DOMAIN } from "../../../firmware/config";
import { localDay } from "../../../firmware/soundbox/daily-totals";
import { DEFAULT_SOUNDBOX_SETTINGS, type SoundboxSettings } from "../../../firmware/soundbox/settings";
import { Soundbox } from "../../../firmware/soundbox/soundbox";
import { LONG_PRESS_MS } from "../../../firmware/soundbox/press";
import { DEFAULT_SETTLE_MS } from "../../../firmware/soundbox/status-prompts";
import { DEFAULT_VOLUME, MAX_VOLUME, volumeGain } from "../../../firmware/soundbox/volume";
import { englishIndia } from "../../../firmware/voice/en-in";
import { createMemoryHal, MemoryKv, MemoryMqtt, type MemoryHal, type RecordingAudio } from "../../../hal/memory/index";
import { assert, check, done, equal } from "./assert";

/** Every clip of the en-in pack. */
const CLIPS = [
  "n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11", "n12", "n13", "n14", "n15", "n16", "n17", "n18", "n19",
  "n20", "n30", "n40", "n50", "n60", "n70", "n80", "n90", "hundred", "thousand", "lakh", "crore",
  "rupee", "rupees", "paisa", "paise", "dollar", "dollars", "cent", "cents",
  "received", "and", "on", "prov_upi", "prov_paytm", "while_offline", "payment", "payments", "total",
  "today", "no_payments", "volume", "device_ready", "connected", "no_network", "battery_low", "charging",
];

/** 250 ms a clip (RecordingAudio's default): a payment of ~8 clips takes about two seconds. */
const CLIP_MS = 250;
/** 2025-01-01T00:00:00+05:30, midnight in India. */
const IST_MIDNIGHT = Date.UTC(2024, 11, 31, 18, 30);
const MINUTE = 60_000;

let txnCounter = 0;

function confirmation(amountMinor: number, currency = "INR", confirmedAt = 0) {
  txnCounter++;
  return { transactionId: `T-${txnCounter}`, amountMinor, currency, provider: "UPI", confirmedAt, expiresAt: undefined, deviceId: "sb-1" };
}

interface Box {
  hal: MemoryHal;
  audio: RecordingAudio;
  journal: Journal;
  box: Soundbox;
}

/** A soundbox on a fresh memory HAL, online, its boot prompts ("device ready", "connected") played and forgotten. */
function soundbox(settings: Partial<SoundboxSettings> = {}, options: { kv?: MemoryKv; epochMs?: number } = {}): Box {
  const hal = createMemoryHal({ deviceId: "sb-1", product: "soundbox", clips: CLIPS, kv: options.kv });
  if (options.epochMs !== undefined) hal.clock.setWallTime(options.epochMs);
  const audio = hal.audio;
  assert(audio, "soundbox has audio");
  const journal = new Journal(hal.kv);
  const box = new Soundbox({ ...hal, audio }, englishIndia, journal, { ...DEFAULT_SOUNDBOX_SETTINGS, ...settings });
  box.start();
  box.session(true);
  hal.timers.advance(DEFAULT_SETTLE_MS);
  audio.drain();
  equal(audio.played, ["device_ready", "connected"], "boot prompts");
  audio.played.length = 0;
  audio.playedVolumes.length = 0;
  hal.log.events.length = 0;
  return { hal, audio, journal, box };
}

/** Journals a payment and hands it to the soundbox, as the pipeline does. */
function pay(b: Box, amountMinor: number, currency = "INR", confirmedAt = b.hal.clock.now()): JournalEntry {
  const entry = b.journal.append(confirmation(amountMinor, currency, confirmedAt), b.hal.clock.now());
  b.box.payment(entry);
  b.journal.markAnnounced(entry);
  return entry;
}

/** The clips en-in says for a payment of `amountMinor` INR on UPI. */
function saying(amountMinor: number, currency = "INR"): string[] {
  return englishIndia.payment({ amountMinor, currency: { code: currency, exponent: 2 }, provider: "UPI" });
}

/** Spoken events (utterances started), as [kind, detail]. */
function spoken(hal: MemoryHal): string[] {
  return hal.log.named("spoken").map((e) => {
    const f = e.fields;
    if (f.kind === "payment" || f.kind === "replay") return `${f.kind} ${String(f.txn)}`;
    if (f.kind === "burst" || f.kind === "offline") return `${f.kind} ${String(f.cur)} ${String(f.count)} ${String(f.total)}`;
    if (f.kind === "status") return `status ${String(f.status)}`;
    if (f.kind === "volume") return `volume ${String(f.level)}`;
    return String(f.kind);
  });
}

/** Advances the speaker and the timers together, in steps. */
function play(b: Box, ms: number, step = 50): void {
  for (let t = 0; t < ms; t += step) {
    b.audio.advance(step);
    b.hal.timers.advance(step);
  }
}

// ---- bursts -------------------------------------------------------------------------------

check("ten payments in one second are all announced, in order, each to its last clip", () => {
  const b = soundbox();
  const amounts = [100, 25050, 999, 120000, 5, 7777, 100000, 4200, 31, 1234550];
  for (const amount of amounts) {
    pay(b, amount);
    play(b, 100);
  }
  b.audio.drain();
  const expected: string[] = [];
  for (const amount of amounts) expected.push(...saying(amount));
  equal(b.audio.played, expected, "played, utterance after utterance");
  equal(b.hal.log.named("burst-folded").length, 0, "folds");
  equal(b.hal.log.named("spoken").length, 10, "utterances");
});

check("above the burst depth, waiting payments fold into one count-and-total, and later arrivals join it", () => {
  const b = soundbox({ burstDepth: 3 });
  const amounts = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000];
  for (const amount of amounts) {
    pay(b, amount);
    play(b, 100);
  }
  b.audio.drain();
  // The first was playing when the fifth made four wait (more than 3): the 2nd to 5th folded,
  // and the 6th to 10th joined the summary before it started.
  equal(spoken(b.hal), ["payment T-" + (txnCounter - 9), "burst INR 9 5400"], "utterances");
  equal(b.audio.played, [...saying(100), "received", "n9", "payments", "total", "n50", "n4", "rupees"], "played");
  equal(b.hal.log.named("burst-folded")[0].fields, { payments: 4, depth: 3 }, "fold event");
});

check("a burst in two currencies folds into one summary per currency, in the order they arrived", () => {
  const b = soundbox({ burstDepth: 2 });
  pay(b, 100);
  pay(b, 150, "USD");
  pay(b, 200);
  pay(b, 250, "USD");
  pay(b, 300);
  b.audio.drain();
  equal(spoken(b.hal).slice(1), ["burst USD 2 400", "burst INR 2 500"], "summaries after the first payment");
});

check("payments after the summary has started are announced on their own again", () => {
  const b = soundbox({ burstDepth: 1 });
  pay(b, 100);
  pay(b, 200);
  pay(b, 300);
  b.audio.drain();
  pay(b, 400);
  b.audio.drain();
  const kinds = spoken(b.hal).map((s) => s.split(" ")[0]);
  equal(kinds, ["payment", "burst", "payment"], "utterance kinds");
});

check("a depth of 0 never folds: thirty payments at once are thirty announcements", () => {
  const b = soundbox({ burstDepth: 0 });
  for (let i = 1; i <= 30; i++) pay(b, i * 100);
  b.audio.drain();
  equal(b.hal.log.named("spoken").length, 30, "utterances");
  equal(b.hal.log.named("burst-folded").length, 0, "folds");
});

// ---- no cut-off, prompt priority ----------------------------------------------------------------

check("nothing cuts off what is playing: a payment arriving mid-announcement waits for its end", () => {
  const b = soundbox();
  pay(b, 123456);
  play(b, 3 * CLIP_MS);
  equal(b.audio.played, saying(123456).slice(0, 3), "three clips in");
  pay(b, 500);
  b.box.summary();
  b.hal.power.set({ batteryPercent: 9 });
  b.audio.drain();
  const utterances = spoken(b.hal);
  equal(utterances.map((u) => u.split(" ")[0]), ["payment", "payment", "today", "status"], "order");
  // Every utterance played whole: the clips are exactly the concatenation of what each said.
  const said = b.hal.log.named("spoken").map((e) => String(e.fields.clips)).join(" ").split(" ");
  equal(b.audio.played, said, "played is every spoken clip, in order");
});

check("a prompt never goes before a payment, even one that arrives after the prompt was queued", () => {
  const b = soundbox();
  pay(b, 100);
  b.hal.power.set({ batteryPercent: 10 });
  play(b, CLIP_MS);
  pay(b, 200);
  pay(b, 300);
  play(b, CLIP_MS * 7);
  pay(b, 400);
  b.audio.drain();
  equal(spoken(b.hal).map((u) => u.split(" ")[0]), ["payment", "payment", "payment", "payment", "status"], "battery low comes last");
  equal(b.audio.played[b.audio.played.length - 1], "battery_low", "last clip");
});

check("network prompts are debounced: flapping says nothing, a settled change is said once", () => {
  const b = soundbox();
  for (let i = 0; i < 6; i++) {
    b.hal.network.set({ link: i % 2 === 0 ? "down" : "up" });
    play(b, 1000);
  }
  equal(spoken(b.hal), [], "after flapping that ended up, as it was");
  b.hal.network.set({ link: "down" });
  play(b, DEFAULT_SETTLE_MS - 100);
  equal(spoken(b.hal), [], "not yet settled");
  play(b, 200);
  equal(spoken(b.hal), ["status no_network"], "settled down");
  b.box.session(false);
  play(b, DEFAULT_SETTLE_MS + 2000);
  b.hal.network.set({ link: "up" });
  play(b, DEFAULT_SETTLE_MS + 2000);
  equal(spoken(b.hal), ["status no_network"], "the link is up but the session is not: still no network");
  b.box.session(true);
  play(b, DEFAULT_SETTLE_MS + 2000);
  equal(spoken(b.hal), ["status no_network", "status connected"], "prompts");
});

check("battery low is said once per discharge, charging once it has held", () => {
  const b = soundbox();
  b.hal.power.set({ batteryPercent: 15 });
  b.hal.power.set({ batteryPercent: 14 });
  b.hal.power.set({ batteryPercent: 12 });
  play(b, 2000);
  equal(spoken(b.hal), ["status battery_low"], "once");
  b.hal.power.set({ charging: true });
  play(b, 1000);
  b.hal.power.set({ charging: false });
  play(b, DEFAULT_SETTLE_MS + 1000);
  equal(spoken(b.hal), ["status battery_low"], "a cable wiggled in and out is not news");
  b.hal.power.set({ charging: true });
  play(b, DEFAULT_SETTLE_MS + 1000);
  b.hal.power.set({ charging: false, batteryPercent: 13 });
  play(b, 2000);
  equal(spoken(b.hal), ["status battery_low", "status charging", "status battery_low"], "charged, then low again");
});

// ---- volume ----------------------------------------------------------------------------------

check("volume buttons step the level, say it, and stop at the ends with a beep", () => {
  const b = soundbox();
  equal(b.box.state.volume, DEFAULT_VOLUME, "default level");
  b.hal.buttons.tap("volumeUp");
  b.audio.drain();
  b.hal.buttons.tap("volumeUp");
  b.audio.drain();
  b.hal.buttons.tap("volumeUp");
  b.audio.drain();
  equal(b.box.state.volume, MAX_VOLUME, "level");
  equal(b.audio.played, ["volume", "n6", "volume", "n7", "volume", "n7", "tone:1760:120"], "said");
  equal(b.audio.playedVolumes, [volumeGain(6), volumeGain(6), 1, 1, 1, 1, 1], "each said at its new level");
});

check("a volume change waits for the end of the utterance playing, so it never changes mid-sentence", () => {
  const b = soundbox();
  pay(b, 123456);
  play(b, 2 * CLIP_MS);
  b.hal.buttons.tap("volumeDown");
  b.audio.drain();
  const n = saying(123456).length;
  const before = volumeGain(DEFAULT_VOLUME);
  equal(b.audio.playedVolumes.slice(0, n), saying(123456).map(() => before), "the payment at the old level");
  equal(b.audio.playedVolumes.slice(n), [volumeGain(4), volumeGain(4)], "the level prompt at the new one");
});

check("the volume level is persisted and restored at boot, and applied to the speaker", () => {
  const hal = createMemoryHal({ deviceId: "sb-v", product: "soundbox", clips: CLIPS });
  const defaults: DeviceDefaults = { brokerHost: "b", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 };
  let device = startDevice(hal, defaults);
  hal.buttons.tap("volumeDown");
  hal.buttons.tap("volumeDown");
  hal.buttons.tap("volumeDown");
  equal(device.soundbox?.state.volume, 2, "level after three presses down");
  device.stop();
  const after = createMemoryHal({ deviceId: "sb-v", product: "soundbox", clips: CLIPS, kv: MemoryKv.restore(hal.kv.snapshot()) });
  device = startDevice(after, defaults);
  equal(device.soundbox?.state.volume, 2, "level after restart");
  after.audio?.drain();
  equal(after.audio?.played, ["device_ready"], "boot prompt");
  equal(after.audio?.playedVolumes, [volumeGain(2)], "said at the restored level");
  device.stop();
});

check("a corrupt stored volume falls back to the default, logged", () => {
  const hal = createMemoryHal({ deviceId: "sb-1", product: "soundbox", clips: CLIPS });
  hal.kv.set("soundbox", "volume", 42);
  const box = new Soundbox({ ...hal, audio: hal.audio as RecordingAudio }, englishIndia, new Journal(hal.kv));
  equal(box.state.volume, DEFAULT_VOLUME, "level");
  equal(hal.log.named("volume-unreadable").map((e) => e.fields), [{ stored: "42", using: DEFAULT_VOLUME }], "logged");
});

// ---- replay ----------------------------------------------------------------------------------

check("replay says the last N payments from the journal, newest first", () => {
  const b = soundbox({ replayCount: 3 });
  const entries = [100, 200, 300, 400, 500].map((amount) => pay(b, amount));
  b.audio.drain();
  b.audio.played.length = 0;
  b.hal.buttons.tap("replay");
  b.audio.drain();
  equal(b.audio.played, [...saying(500), ...saying(400), ...saying(300)], "played");
  equal(spoken(b.hal).slice(5), [4, 3, 2].map((i) => `replay ${entries[i].confirmation.transactionId}`), "utterances");
});

check("replay waits behind live payments, and a second press while it waits is ignored", () => {
  const b = soundbox({ replayCount: 2 });
  pay(b, 100);
  pay(b, 200);
  b.box.replay();
  equal(b.box.replay(), 0, "second request while the first waits");
  pay(b, 300);
  b.audio.drain();
  equal(spoken(b.hal).map((u) => u.split(" ")[0]), ["payment", "payment", "payment", "replay", "replay"], "order");
  equal(b.hal.log.named("replay-ignored").length, 1, "ignored presses");
});

check("replay on an empty journal says there are no payments today", () => {
  const b = soundbox();
  b.box.replay();
  b.audio.drain();
  equal(b.audio.played, ["today", "no_payments"], "played");
});

// ---- today's summary ---------------------------------------------------------------------------

check("today's totals roll over at local midnight (UTC+05:30), by the manual clock", () => {
  const b = soundbox({}, { epochMs: IST_MIDNIGHT + 9 * 60 * MINUTE });
  pay(b, 10000);
  b.hal.clock.setWallTime(IST_MIDNIGHT + 24 * 60 * MINUTE - MINUTE);
  pay(b, 2550);
  equal(b.box.today().totals, [{ currency: "INR", count: 2, totalMinor: 12550 }], "23:59");
  b.box.summary();
  b.audio.drain();
  equal(b.audio.played.slice(-12), ["today", "n2", "payments", "total", "n1", "hundred", "n20", "n5", "rupees", "and", "n50", "paise"], "at 23:59");
  b.hal.timers.advance(2 * MINUTE);
  equal(b.box.today(), { day: localDay(b.hal.clock.now(), 330), totals: [] }, "00:01 the next day");
  b.audio.played.length = 0;
  b.box.summary();
  b.audio.drain();
  equal(b.audio.played, ["today", "no_payments"], "after midnight");
  pay(b, 500);
  equal(b.box.today().totals, [{ currency: "INR", count: 1, totalMinor: 500 }], "the new day's first payment");
});

check("today's summary says each currency's count and total", () => {
  const b = soundbox({}, { epochMs: IST_MIDNIGHT + 10 * 60 * MINUTE });
  pay(b, 25050);
  pay(b, 100);
  pay(b, 199, "USD");
  b.audio.drain();
  b.audio.played.length = 0;
  b.hal.buttons.tap("function");
  b.audio.drain();
  equal(b.audio.played, [
    "today", "n2", "payments", "total", "n2", "hundred", "n50", "n1", "rupees", "and", "n50", "paise",
    "today", "n1", "payment", "total", "n1", "dollar", "and", "n90", "n9", "cents",
  ], "played");
});

check("a payment made before midnight and delivered after it is not today's", () => {
  const b = soundbox({}, { epochMs: IST_MIDNIGHT + 5 * MINUTE });
  pay(b, 700, "INR", IST_MIDNIGHT - MINUTE);
  equal(b.box.today().totals, [], "today");
  equal(b.hal.log.named("totals-earlier-day").length, 0, "nothing was counted for today yet, so the payment's own day is the record's");
  pay(b, 300);
  pay(b, 900, "INR", IST_MIDNIGHT - 2 * MINUTE);
  equal(b.box.today().totals, [{ currency: "INR", count: 1, totalMinor: 300 }], "today after a late one");
  equal(b.hal.log.named("totals-earlier-day").length, 1, "the late one is logged");
});

check("today's totals survive a restart and a journal recovery does not count a payment twice", () => {
  const b = soundbox({}, { epochMs: IST_MIDNIGHT + 12 * 60 * MINUTE });
  pay(b, 1000);
  // The next payment is counted, then power is lost before the journal marks it announced.
  const entry = b.journal.append(confirmation(2000, "INR", b.hal.clock.now()), b.hal.clock.now());
  b.box.payment(entry);
  equal(b.box.today().totals, [{ currency: "INR", count: 2, totalMinor: 3000 }], "before the power cut");
  const hal = createMemoryHal({ deviceId: "sb-1", product: "soundbox", clips: CLIPS, kv: MemoryKv.restore(b.hal.kv.snapshot()), clock: b.hal.clock });
  const device = startDevice(hal, { brokerHost: "b", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 });
  equal(hal.log.named("recovered").map((e) => e.fields.txn), [entry.confirmation.transactionId], "recovered");
  equal(device.soundbox?.today().totals, [{ currency: "INR", count: 2, totalMinor: 3000 }], "after the restart");
  device.stop();
});

check("an unreadable totals record starts from zero, logged, and the device keeps going", () => {
  const kv = new MemoryKv();
  kv.set("soundbox", "today", new Uint8Array([0xff, 0x00]).buffer);
  const hal = createMemoryHal({ deviceId: "sb-1", product: "soundbox", clips: CLIPS, kv });
  new Soundbox({ ...hal, audio: hal.audio as RecordingAudio }, englishIndia, new Journal(hal.kv));
  equal(hal.log.named("totals-unreadable").length, 1, "logged");
  const b = soundbox({}, { kv, epochMs: IST_MIDNIGHT + MINUTE });
  pay(b, 100);
  equal(b.box.today().totals, [{ currency: "INR", count: 1, totalMinor: 100 }], "counting again");
});

check("a day's total beyond 32 bits is kept exactly", () => {
  const b = soundbox({}, { epochMs: IST_MIDNIGHT + MINUTE });
  for (let i = 0; i < 3; i++) pay(b, 9_999_999_999);
  const restored = new Soundbox({ ...b.hal, audio: b.audio }, englishIndia, new Journal(b.hal.kv));
  equal(restored.today().totals, [{ currency: "INR", count: 3, totalMinor: 29_999_999_997 }], "after reloading from the store");
});

// ---- buttons -----------------------------------------------------------------------------------

check("a long press of replay says today's summary while the button is still held", () => {
  const b = soundbox({}, { epochMs: IST_MIDNIGHT + MINUTE });
  pay(b, 500);
  b.audio.drain();
  b.hal.buttons.set("replay", true);
  b.hal.timers.advance(LONG_PRESS_MS - 1);
  equal(b.hal.log.named("button").length, 0, "nothing before the long-press time");
  b.hal.timers.advance(1);
  equal(b.hal.log.named("button")[0].fields, { button: "replay", gesture: "long" }, "long press");
  b.hal.buttons.set("replay", false);
  b.audio.drain();
  equal(spoken(b.hal).slice(1), ["today"], "said");
  equal(b.hal.log.named("button").length, 1, "the release adds nothing");
});

check("stray edges (a release without a press, a second press while held) are ignored", () => {
  const b = soundbox();
  b.hal.buttons.set("volumeUp", false);
  b.hal.buttons.set("volumeUp", true);
  b.hal.buttons.set("volumeUp", true);
  b.hal.buttons.set("volumeUp", false);
  equal(b.hal.log.named("button").map((e) => e.fields.gesture), ["short"], "gestures");
  equal(b.box.state.volume, DEFAULT_VOLUME + 1, "one step");
});

check("the power button says whether the device is connected", () => {
  const b = soundbox();
  b.box.session(false);
  b.hal.buttons.tap("power");
  b.audio.drain();
  b.box.session(true);
  b.hal.buttons.tap("power");
  b.audio.drain();
  equal(b.audio.played, ["no_network", "connected"], "played");
});

check("after stop, buttons and power changes are no longer heard", () => {
  const b = soundbox();
  b.box.stop();
  b.hal.buttons.tap("replay");
  b.hal.power.set({ batteryPercent: 3 });
  b.audio.drain();
  equal(b.audio.played, [], "played");
});

// ---- through the pipeline -------------------------------------------------------------------------

check("ten signed payments in one second through the pipeline are all acked and announced in order", () => {
  const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  const hal = createMemoryHal({ deviceId: "sb-p", product: "soundbox", clips: CLIPS });
  new Keyring(hal.kv).put("k1", KEY);
  const service = new MemoryMqtt(hal.broker);
  const acks: CborMap[] = [];
  service.connect(
    { host: "b", port: 1883, clientId: "svc", clean: true, keepalive: 30 },
    {
      onConnect: () => {},
      onDisconnect: () => {},
      onMessage: (m, settle) => {
        const value = decodeCbor(m.payload);
        if (isCborMap(value)) acks.push(value);
        settle();
      },
    },
  );
  service.subscribe("pt/v1/sb-p/ack", 1);
  const device: Device = startDevice(hal, { brokerHost: "b", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 });
  hal.broker.flush();
  const audio = hal.audio;
  assert(audio, "audio");
  for (let i = 1; i <= 10; i++) {
    const now = hal.clock.now();
    const body = encodeCbor({ v: 1, txn: `P-${i}`, amt: i * 1000, cur: "INR", prov: "UPI", ts: now - 500, dev: "sb-p", exp: now + 60_000 });
    service.publish("pt/v1/sb-p/pay", encodeCbor({ v: 1, kid: "k1", body, tag: paymentTag(hal.crypto, KEY, body) }), { qos: 1, retain: false });
    hal.broker.flush();
    audio.advance(100);
    hal.timers.advance(100);
  }
  audio.drain();
  equal(acks.map((a) => [a.txn, a.st]), Array.from({ length: 10 }, (_, i) => [`P-${i + 1}`, "announced"]), "acks");
  const payments = hal.log.named("spoken").filter((e) => e.fields.kind === "payment");
  equal(payments.map((e) => e.fields.txn), Array.from({ length: 10 }, (_, i) => `P-${i + 1}`), "spoken in order");
  equal(device.soundbox?.today().totals[0]?.count, 10, "today's count");
  device.stop();
});

check("soundbox settings come from the config domain; out-of-range ones are logged and replaced", () => {
  const hal = createMemoryHal({ deviceId: "sb-c", product: "soundbox", clips: CLIPS });
  hal.kv.set(CONFIG_DOMAIN, "burstDepth", 500);
  hal.kv.set(CONFIG_DOMAIN, "replayCount", 2);
  const device = startDevice(hal, { brokerHost: "b", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 });
  equal(hal.log.named("setting-out-of-range").map((e) => [e.fields.name, e.fields.value, e.fields.using]), [["burstDepth", 500, 10]], "logged");
  device.stop();
});

done();
