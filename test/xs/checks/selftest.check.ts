/**
 * The factory self-test on XS: startDevice over the in-memory HAL, entered by the soundbox's button
 * combination or by the authenticated `selftest` command, every check passing and failing, the
 * report read off the broker as a factory station would, the QR display's test pattern read back
 * pixel by pixel, and the PN532 check against the simulated controller (host-sim/nfc).
 */
import type { DeviceDefaults } from "../../../firmware/config";
import { startDevice, type Device } from "../../../firmware/device";
import { Keyring } from "../../../firmware/payments/keyring";
import { concatBytes, utf8Encode } from "../../../firmware/protocol/bytes";
import { decodeCbor, encodeCbor, isCborMap, type CborMap, type CborValue } from "../../../firmware/protocol/cbor";
import { BAR_COLORS, barArea } from "../../../firmware/selftest/screens";
import { SWEEP_HZ, SWEEP_STEP_MS } from "../../../firmware/selftest/checks";
import { createMemoryHal, MemoryBroker, MemoryMqtt, SoftCrypto, type MemoryHal } from "../../../hal/memory/index";
import { MemoryDisplay } from "../../../hal/memory/display";
import { SimulatedNfc } from "../../../host-sim/nfc/simulated-nfc";
import { assert, check, done, equal } from "./assert";

const DEFAULTS: DeviceDefaults = { brokerHost: "broker.test", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 };
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 11 + 5) & 0xff);
const crypto = new SoftCrypto(3);

function map(value: CborValue): CborMap {
  assert(isCborMap(value), "expected a CBOR map");
  return value;
}

interface Unit {
  hal: MemoryHal;
  device: Device;
  broker: MemoryBroker;
  service: MemoryMqtt;
  results: CborMap[];
  id: string;
}

function boot(id: string, product: "soundbox" | "qr-display", prepare: (hal: MemoryHal) => void = () => {}): Unit {
  const broker = new MemoryBroker();
  const hal = createMemoryHal({ deviceId: id, product, broker, seed: 9, ...(product === "soundbox" ? { clips: ["device_ready"] } : {}) });
  new Keyring(hal.kv).put("k1", KEY);
  prepare(hal);
  const device = startDevice(hal, DEFAULTS);
  const service = new MemoryMqtt(broker);
  const results: CborMap[] = [];
  service.connect(
    { host: "broker.test", port: 1883, clientId: "factory", clean: true, keepalive: 30 },
    { onConnect: () => {}, onDisconnect: () => {}, onMessage: (m, settle) => { settle(); results.push(map(decodeCbor(m.payload))); } },
  );
  service.subscribe(`pt/v1/${id}/cmdack`, 1);
  const unit = { hal, device, broker, service, results, id };
  run(unit);
  return unit;
}

/** The network, the speaker and `ms` of virtual time, timer by timer. */
function run(unit: Unit, ms = 0): void {
  const { hal, broker } = unit;
  broker.flush();
  const end = hal.clock.monotonic() + ms;
  for (;;) {
    const due = hal.timers.nextDue();
    const next = due === undefined || due > end ? end : due;
    const step = next - hal.clock.monotonic();
    hal.timers.advance(step);
    hal.audio?.advance(step);
    broker.flush();
    // Timers set at the very end (by a callback the speaker reached) still run.
    const after = hal.timers.nextDue();
    if (next === end && (after === undefined || after > end)) return;
  }
}

function report(unit: Unit): CborMap {
  const retained = unit.broker.retained(`pt/v1/${unit.id}/selftest`);
  assert(retained, "a retained self-test report");
  // A report nests deeper than what the device reads (its checks' values): a reader for it.
  return map(decodeCbor(retained.payload, { maxDepth: 6, maxItems: 256 }));
}

function checksOf(r: CborMap): Record<string, CborMap> {
  const out: Record<string, CborMap> = {};
  for (const c of r.checks as CborValue[]) out[String(map(c).name)] = map(c);
  return out;
}

function command(unit: Unit, id: string, name: string): CborMap {
  const now = unit.hal.clock.now();
  const body = encodeCbor({ v: 1, id, name, args: {}, dev: unit.id, ts: now, exp: now + 60_000 });
  const tag = crypto.hmacSha256(KEY, concatBytes(utf8Encode("payterm/v1/cmd\u0000"), body));
  unit.service.publish(`pt/v1/${unit.id}/cmd`, encodeCbor({ v: 1, kid: "k1", body, tag }), { qos: 1, retain: false });
  run(unit);
  return unit.results[unit.results.length - 1];
}

const SWEEP = SWEEP_HZ.map((hz) => `tone:${hz}:${SWEEP_STEP_MS}`);

// Soundbox, entered by the combination.
const sb = boot("sb-st-1", "soundbox");
run(sb, 3000);

check("holding the combination too briefly does nothing; holding it 2 s enters the self-test", () => {
  sb.hal.buttons.set("volumeUp", true);
  sb.hal.buttons.set("volumeDown", true);
  run(sb, 1500);
  sb.hal.buttons.set("volumeDown", false);
  run(sb, 1000);
  equal(sb.device.selftest.state, "idle", "state after a short hold");
  sb.hal.buttons.set("volumeDown", true);
  run(sb, 2000);
  equal(sb.device.selftest.state, "running", "state after 2 s");
  sb.hal.buttons.set("volumeUp", false);
  sb.hal.buttons.set("volumeDown", false);
});

check("the speaker plays the sweep, 300 Hz to 3 kHz", () => {
  run(sb, SWEEP_HZ.length * SWEEP_STEP_MS + 100);
  const played = sb.hal.audio?.played ?? [];
  const start = played.indexOf(SWEEP[0]);
  equal(played.slice(start, start + SWEEP.length), SWEEP, "tones played");
});

check("every button pressed once passes; the soundbox beeps for each", () => {
  for (const button of sb.hal.buttons.available) {
    sb.hal.buttons.tap(button);
    run(sb, 100);
  }
  run(sb, 1000);
  const r = report(sb);
  const c = checksOf(r);
  equal([r.result, r.trigger, r.product], ["pass", "buttons", "soundbox"], "report");
  equal(Object.keys(c), ["speaker", "display", "nfc", "buttons", "battery", "network"], "checks in order");
  equal([c.speaker.st, c.display.st, c.nfc.st, c.buttons.st, c.battery.st, c.network.st], ["pass", "skip", "skip", "pass", "pass", "pass"], "statuses");
  equal(map(c.buttons.val as CborValue).pressed, ["volumeUp", "volumeDown", "replay", "power", "function"], "buttons pressed");
  equal(map(c.network.val as CborValue), { link: "up", rssi: -55 }, "network values");
  equal(sb.hal.audio?.played.filter((p) => p === "tone:1500:60").length, 5, "a beep per press");
  equal(sb.hal.audio?.played.slice(-2), ["tone:800:150", "tone:1600:300"], "the pass tones");
});

check("a button press after the report restarts the device", () => {
  equal(sb.device.selftest.state, "showing");
  equal(sb.hal.system.restarts, 0, "restarts before");
  sb.hal.buttons.tap("replay");
  equal(sb.hal.system.restarts, 1, "restarts after");
});

check("a combination held after the first 10 s does nothing", () => {
  const late = boot("sb-st-2", "soundbox");
  run(late, 11_000);
  late.hal.buttons.set("volumeUp", true);
  late.hal.buttons.set("volumeDown", true);
  run(late, 3000);
  equal(late.device.selftest.state, "idle");
});

check("failures: low battery, a weak signal, buttons not pressed; each says why", () => {
  const weak = boot("sb-st-3", "soundbox");
  weak.hal.power.set({ batteryPercent: 12, charging: false });
  weak.hal.network.set({ rssi: -88 });
  equal(command(weak, "st-1", "selftest"), { v: 1, st: "ok", id: "st-1", res: { started: true }, at: weak.hal.clock.now() }, "command result");
  run(weak, 40_000);
  const r = report(weak);
  const c = checksOf(r);
  equal([r.result, r.trigger], ["fail", "command"], "result");
  equal([c.battery.st, c.battery.msg], ["fail", "12 %, below 20 % and not charging"], "battery");
  equal([c.network.st, c.network.msg], ["fail", "signal -88 dBm is below -80 dBm"], "network");
  equal([c.buttons.st, c.buttons.msg], ["fail", "not pressed: volumeUp, volumeDown, replay, power, function"], "buttons");
  equal(weak.hal.audio?.played.slice(-3), ["tone:300:200", "tone:300:200", "tone:300:200"], "the fail tones");
  run(weak, 60_000);
  equal(weak.hal.system.restarts, 1, "restarts a minute after the report");
});

check("the selftest command is refused while one runs, and takes no arguments", () => {
  const busy = boot("sb-st-4", "soundbox");
  equal(command(busy, "a", "selftest").st, "ok");
  const again = command(busy, "b", "selftest");
  equal([again.st, again.rc, again.msg], ["rejected", "bad_args", "a self-test is already running"]);
});

// QR display: a framebuffer and the simulated PN532 on I2C.
let nfc: SimulatedNfc | undefined;
const qr = boot("qr-st-1", "qr-display", (hal) => {
  hal.display = new MemoryDisplay(240, 320);
  nfc = new SimulatedNfc({ timers: hal.timers, bus: "i2c" });
  hal.nfc = nfc.transport;
});
run(qr, 2000);

check("the QR display's pattern: a white border, the eight bars in order", () => {
  command(qr, "q-1", "selftest");
  run(qr, 500);
  const display = qr.hal.display as MemoryDisplay;
  const at = (x: number, y: number) => display.pixels[y * display.width + x];
  const white = BAR_COLORS[0];
  equal([at(0, 0), at(239, 0), at(0, 319), at(239, 319), at(120, 0), at(0, 200), at(239, 200), at(120, 319)], Array(8).fill(white), "border");
  const bars = barArea(display);
  const middle = bars.y + Math.floor(bars.height / 2);
  const sampled = BAR_COLORS.map((_, i) => at(bars.x + Math.floor((bars.width * (2 * i + 1)) / 16), middle));
  equal(sampled, BAR_COLORS, "bars");
});

check("the PN532 answers GetFirmwareVersion (IC 0x32); every button pressed passes", () => {
  run(qr, 3500);
  equal(qr.device.selftest.state, "running");
  for (const button of qr.hal.buttons.available) qr.hal.buttons.tap(button);
  run(qr, 2000);
  const c = checksOf(report(qr));
  equal([c.display.st, c.nfc.st, c.buttons.st, c.speaker.st], ["pass", "pass", "pass", "skip"], "statuses");
  equal(map(c.nfc.val as CborValue).ic, 0x32, "IC");
  assert(String(c.nfc.msg).startsWith("PN532 firmware "), `nfc detail ${String(c.nfc.msg)}`);
});

check("the result screen: the title in green when every check passed", () => {
  const display = qr.hal.display as MemoryDisplay;
  let green = 0;
  for (let y = 8; y < 24; y++) for (let x = 0; x < display.width; x++) if (display.pixels[y * display.width + x] === 0x0640) green++;
  assert(green > 100, `green title pixels: ${green}`);
});

done();
