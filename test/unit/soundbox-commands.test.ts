/**
 * The soundbox's `replay` and `summary` commands through the real firmware and the command
 * dispatcher: signed as the payment service signs them, answered on cmdack, spoken behind
 * live payments; bad arguments refused with bad_args and nothing said.
 */
import { beforeEach, describe, expect, it } from "@jest/globals";
import { startDevice, type Device } from "../../firmware/device";
import { decodeCbor, type CborMap } from "../../firmware/protocol/cbor";
import { Keyring } from "../../firmware/payments/keyring";
import { englishIndia } from "../../firmware/voice/en-in";
import { createMemoryHal, MemoryMqtt, type MemoryHal } from "../../hal/memory/index";
import { signCommand, type CommandFields } from "../../host-sim/service/command";
import { signConfirmation } from "../../host-sim/service/confirmation";
import type { CborPlain } from "../../host-sim/service/cbor";

const DEVICE = "sb-cmd";
const KEY = { keyId: "k1", key: new Uint8Array(32).fill(7) };
/** 2025-03-10 10:00 in India. */
const MORNING = Date.UTC(2025, 2, 10, 4, 30);
const CLIPS = Object.keys((await import("../../voice/en-in/clips.json", { with: { type: "json" } })).default.clips);

describe("soundbox commands", () => {
  let hal: MemoryHal;
  let service: MemoryMqtt;
  let device: Device;
  let results: CborMap[];
  let sequence = 0;

  const command = (name: string, args: { [key: string]: CborPlain } = {}): CborMap => {
    const now = hal.clock.now();
    const fields: CommandFields = { id: `C${++sequence}`, deviceId: DEVICE, name, args, issuedAt: now, expiresAt: now + 60_000 };
    const before = results.length;
    service.publish(`pt/v1/${DEVICE}/cmd`, signCommand(fields, KEY), { qos: 1, retain: false });
    hal.broker.flush();
    expect(results.length).toBe(before + 1);
    return results[results.length - 1];
  };

  const pay = (txn: string, amountMinor: number, currency = "INR") => {
    const payload = signConfirmation({ transactionId: txn, deviceId: DEVICE, amountMinor, currency, provider: "UPI", confirmedAt: hal.clock.now() }, KEY);
    service.publish(`pt/v1/${DEVICE}/pay`, payload, { qos: 1, retain: false });
    hal.broker.flush();
  };

  const said = (amountMinor: number) => englishIndia.payment({ amountMinor, currency: { code: "INR", exponent: 2 }, provider: "UPI" });

  beforeEach(() => {
    results = [];
    hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox", clips: CLIPS });
    hal.clock.setWallTime(MORNING);
    new Keyring(hal.kv).put(KEY.keyId, KEY.key);
    device = startDevice(hal, { brokerHost: "b", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 });
    service = new MemoryMqtt(hal.broker);
    service.connect(
      { host: "b", port: 1883, clientId: "svc", clean: true, keepalive: 30 },
      { onConnect: () => {}, onDisconnect: () => {}, onMessage: (m, settle) => (results.push(decodeCbor(m.payload) as CborMap), settle()) },
    );
    service.subscribe(`pt/v1/${DEVICE}/cmdack`, 1);
    hal.broker.flush();
    hal.audio!.drain();
    hal.audio!.played.length = 0;
  });

  it("registers replay and summary on a soundbox", () => {
    expect(device.commands.names()).toEqual(expect.arrayContaining(["replay", "summary"]));
  });

  it("replay says the latest payments newest first, after the payment still playing", () => {
    pay("A", 100);
    pay("B", 200);
    pay("C", 300);
    hal.audio!.drain();
    hal.audio!.played.length = 0;
    pay("D", 400);
    const result = command("replay", { count: 2 });
    expect(result).toMatchObject({ st: "ok", res: { queued: 2 } });
    hal.audio!.drain();
    expect(hal.audio!.played).toEqual([...said(400), ...said(400), ...said(300)]);
  });

  it("replay without a count uses the configured replayCount (3)", () => {
    for (const [txn, amount] of [["A", 100], ["B", 200], ["C", 300], ["D", 400]] as const) pay(txn, amount);
    hal.audio!.drain();
    expect(command("replay")).toMatchObject({ st: "ok", res: { queued: 3 } });
  });

  it("summary returns today's local date and totals per currency, and says them", () => {
    pay("A", 25050);
    pay("B", 100);
    pay("C", 199, "USD");
    hal.audio!.drain();
    hal.audio!.played.length = 0;
    const result = command("summary");
    expect(result).toMatchObject({
      st: "ok",
      res: { date: "2025-03-10", totals: [{ cur: "INR", count: 2, total: 25150 }, { cur: "USD", count: 1, total: 199 }] },
    });
    hal.audio!.drain();
    expect(hal.audio!.played.slice(0, 4)).toEqual(["today", "n2", "payments", "total"]);
  });

  it("the config command sets the soundbox's settings; they apply from the next start", () => {
    const result = command("config", { burstDepth: 2, replayCount: 1, tzMin: -300, currency: "USD" });
    expect(result).toMatchObject({
      st: "ok",
      res: { values: { burstDepth: 2, replayCount: 1, tzMin: -300, currency: "USD" }, restart: ["burstDepth", "replayCount", "tzMin", "currency"] },
    });
    pay("A", 100);
    pay("B", 200);
    device.stop();
    hal.broker.flush();
    const kv = hal.kv;
    hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox", clips: CLIPS, kv, broker: hal.broker, clock: hal.clock });
    device = startDevice(hal, { brokerHost: "b", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 });
    hal.broker.flush();
    hal.audio!.drain();
    hal.audio!.played.length = 0;
    expect(command("replay")).toMatchObject({ st: "ok", res: { queued: 1 } });
    // 10:00 in India is 23:30 the day before at UTC-05:00.
    expect(command("summary")).toMatchObject({ st: "ok", res: { date: "2025-03-09" } });
    hal.audio!.drain();
    expect(hal.audio!.played).toEqual([...said(200), "today", "n2", "payments", "total", "n3", "rupees"]);
  });

  it.each([
    ["burstDepth", 101, /burstDepth.*0 to 100/],
    ["replayCount", 0, /replayCount.*1 to 20/],
    ["tzMin", 900, /tzMin.*-720 to 840/],
    ["currency", "XYZ", /currency "XYZ" is not supported/],
  ])("the config command refuses %s = %p and changes nothing", (name, value, message) => {
    const result = command("config", { [name]: value });
    expect(result).toMatchObject({ st: "rejected", rc: "bad_args" });
    expect(String(result.msg)).toMatch(message);
    expect(hal.kv.keys("config")).toEqual([]);
  });

  it.each([
    ["a count of 0", "replay", { count: 0 }, /count.*1 to 20/],
    ["a count past the maximum", "replay", { count: 21 }, /count.*1 to 20/],
    ["a count that is text", "replay", { count: "3" }, /count.*integer/],
    ["an unknown argument to replay", "replay", { cnt: 3 }, /unknown argument "cnt"/],
    ["an unknown argument to summary", "summary", { days: 2 }, /unknown argument "days"/],
  ])("refuses %s with bad_args and says nothing", (_what, name, args, message) => {
    pay("A", 100);
    hal.audio!.drain();
    hal.audio!.played.length = 0;
    const result = command(name, args as { [key: string]: CborPlain });
    expect(result).toMatchObject({ st: "rejected", rc: "bad_args" });
    expect(String(result.msg)).toMatch(message);
    hal.audio!.drain();
    expect(hal.audio!.played).toEqual([]);
    expect(device.session.state).toBe("online");
  });
});
