/**
 * The command channel through the real firmware (startDevice on the in-memory HAL): commands
 * signed as the payment service signs them, each answered by exactly one result on cmdack;
 * replays refused, bad input refused with a reason code, handlers plugged in by name.
 */
import { beforeEach, describe, expect, it } from "@jest/globals";
import { startDevice, type Device } from "../../firmware/device";
import { CommandLedger } from "../../firmware/commands/ledger";
import { refuse } from "../../firmware/commands/args";
import { decodeCbor, type CborMap } from "../../firmware/protocol/cbor";
import { Keyring } from "../../firmware/payments/keyring";
import { createMemoryHal, MemoryKv, MemoryMqtt, type MemoryHal } from "../../hal/memory/index";
import { encodeProtocolCbor, type CborPlain } from "../../host-sim/service/cbor";
import { encodeCommandBody, signCommand, type CommandFields } from "../../host-sim/service/command";
import { sealEnvelope, signConfirmation } from "../../host-sim/service/confirmation";

const DEVICE = "sb-cmd";
const KEY = { keyId: "k1", key: new Uint8Array(32).fill(5) };
const DEFAULTS = { brokerHost: "b", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 };
const CMD_TOPIC = `pt/v1/${DEVICE}/cmd`;

describe("commands", () => {
  let hal: MemoryHal;
  let service: MemoryMqtt;
  let device: Device;
  let results: CborMap[];
  let echoed: CborMap[];
  let sequence: number;

  const fields = (overrides: Partial<CommandFields> = {}): CommandFields => {
    const now = hal.clock.now();
    return { id: `C${++sequence}`, deviceId: DEVICE, name: "echo", args: {}, issuedAt: now, expiresAt: now + 60_000, ...overrides };
  };

  const send = (payload: Uint8Array): CborMap => {
    const before = results.length;
    service.publish(CMD_TOPIC, payload, { qos: 1, retain: false });
    hal.broker.flush();
    expect(results.length).toBe(before + 1);
    return results[results.length - 1];
  };

  const boot = (kv?: MemoryKv) => {
    hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox", clips: [], kv, clock: hal?.clock, broker: hal?.broker });
    new Keyring(hal.kv).put(KEY.keyId, KEY.key);
    device = startDevice(hal, DEFAULTS);
    device.commands.register("echo", ({ args }) => {
      const map: CborMap = {};
      for (const name of args.names()) map[name] = args.value(name) as CborMap[string];
      echoed.push(map);
      return { echoed: map };
    });
    device.commands.register("strict", ({ args }) => {
      const level = args.integer("level", 0, 10);
      args.done();
      return { level };
    });
    device.commands.register("explode", () => {
      throw new Error("the handler broke");
    });
    device.commands.register("picky", () => refuse("not today"));
  };

  beforeEach(() => {
    results = [];
    echoed = [];
    sequence = 0;
    hal = undefined as unknown as MemoryHal;
    boot();
    service = new MemoryMqtt(hal.broker);
    service.connect(
      { host: "b", port: 1883, clientId: "svc", clean: true, keepalive: 30 },
      { onConnect: () => {}, onDisconnect: () => {}, onMessage: (m, settle) => (results.push(decodeCbor(m.payload) as CborMap), settle()) },
    );
    service.subscribe("pt/v1/+/cmdack", 1);
    hal.broker.flush();
  });

  it("runs a registered command and publishes its result on cmdack", () => {
    const result = send(signCommand(fields({ id: "C-echo", args: { a: 1, b: "two" } }), KEY));
    expect(result).toEqual({ v: 1, st: "ok", at: hal.clock.now(), id: "C-echo", res: { echoed: { a: 1, b: "two" } } });
    expect(echoed).toEqual([{ a: 1, b: "two" }]);
    expect(hal.log.named("command").map((e) => e.fields)).toEqual([{ id: "C-echo", name: "echo", kid: "k1" }]);
    expect(device.commands.counters).toMatchObject({ received: 1, ok: 1, rejected: 0, duplicates: 0 });
  });

  it("lists the registered names and refuses a second registration or a bad name", () => {
    // config, the key commands and selftest are every device's; replay and summary the soundbox's own (firmware/soundbox/commands.ts).
    expect(device.commands.names()).toEqual(["config", "echo", "explode", "picky", "replay", "retire-key", "rotate-key", "selftest", "strict", "summary"]);
    expect(() => device.commands.register("echo", () => {})).toThrow(/already registered/);
    expect(() => device.commands.register("Bad Name", () => {})).toThrow(/command name must match/);
  });

  it("refuses a replayed command id without running it again, also after a restart", () => {
    const command = signCommand(fields({ id: "C-once" }), KEY);
    expect(send(command)).toMatchObject({ st: "ok", id: "C-once" });
    expect(send(command)).toMatchObject({ st: "duplicate", id: "C-once", rc: "duplicate", was: "ok" });
    device.stop();
    boot(MemoryKv.restore(hal.kv.snapshot()));
    hal.broker.flush();
    expect(send(command)).toMatchObject({ st: "duplicate", id: "C-once", was: "ok" });
    expect(echoed).toHaveLength(1);
  });

  it("a command interrupted by a restart is never run again (at most once)", () => {
    const command = fields({ id: "C-crash" });
    // The device recorded the command as running, then lost power before the handler finished.
    const kv = MemoryKv.restore(hal.kv.snapshot());
    new CommandLedger(kv).begin({ id: command.id, name: command.name, args: {}, deviceId: DEVICE, issuedAt: command.issuedAt, expiresAt: command.expiresAt });
    device.stop();
    boot(kv);
    hal.broker.flush();
    expect(send(signCommand(command, KEY))).toMatchObject({ st: "duplicate", id: "C-crash", was: "running" });
    expect(echoed).toEqual([]);
  });

  it("refuses commands older than what the ledger can tell apart (too_old), and replays of forgotten ones", () => {
    const first = fields({ id: "C-first" });
    const firstBytes = signCommand(first, KEY);
    expect(send(firstBytes)).toMatchObject({ st: "ok" });
    // 32 newer commands push C-first out of the ring.
    for (let i = 0; i < 32; i++) {
      hal.clock.tick(1);
      expect(send(signCommand(fields(), KEY))).toMatchObject({ st: "ok" });
    }
    expect(send(firstBytes)).toMatchObject({ st: "rejected", id: "C-first", rc: "too_old" });
    // Never seen, but issued no later than the forgotten one: it might have run, so it is refused.
    expect(send(signCommand(fields({ id: "C-late", issuedAt: first.issuedAt }), KEY))).toMatchObject({ st: "rejected", rc: "too_old" });
    expect(send(signCommand(fields({ id: "C-new" }), KEY))).toMatchObject({ st: "ok" });
    expect(echoed).toHaveLength(34);
    // The floor survives a restart.
    device.stop();
    boot(MemoryKv.restore(hal.kv.snapshot()));
    hal.broker.flush();
    expect(send(firstBytes)).toMatchObject({ st: "rejected", rc: "too_old" });
  });

  it("reports a handler's refusal and a handler's failure, and keeps running", () => {
    expect(send(signCommand(fields({ name: "picky" }), KEY))).toMatchObject({ st: "rejected", rc: "bad_args", msg: "not today" });
    expect(send(signCommand(fields({ name: "explode" }), KEY))).toMatchObject({ st: "rejected", rc: "command_failed", msg: "the handler broke" });
    expect(send(signCommand(fields({ name: "strict", args: { level: 3 } }), KEY))).toMatchObject({ st: "ok", res: { level: 3 } });
    expect(send(signCommand(fields({ name: "strict", args: { level: 11 } }), KEY))).toMatchObject({
      st: "rejected",
      rc: "bad_args",
      msg: 'argument "level" must be an integer from 0 to 10',
    });
    expect(send(signCommand(fields({ name: "strict", args: { level: 3, levle: 4 } }), KEY))).toMatchObject({
      st: "rejected",
      rc: "bad_args",
      msg: 'unknown argument "levle"',
    });
    expect(send(signCommand(fields({ name: "strict" }), KEY))).toMatchObject({ st: "rejected", msg: 'argument "level" is required' });
  });

  const body = (overrides: Record<string, CborPlain | undefined>) => {
    const now = hal.clock.now();
    const map: Record<string, CborPlain> = { v: 1, id: "C-bad", name: "echo", args: {}, dev: DEVICE, ts: now, exp: now + 60_000 };
    for (const [k, v] of Object.entries(overrides)) {
      if (v === undefined) delete map[k];
      else map[k] = v;
    }
    return encodeProtocolCbor(map);
  };

  const bad: [string, () => Uint8Array, string][] = [
    ["non-CBOR bytes", () => new TextEncoder().encode("reboot now"), "not_cbor"],
    ["an oversized payload", () => new Uint8Array(2000), "too_large"],
    ["an unknown key id", () => signCommand(fields(), { keyId: "k7", key: KEY.key }), "unknown_key"],
    ["a bad tag", () => signCommand(fields(), { keyId: "k1", key: new Uint8Array(32).fill(6) }), "bad_tag"],
    ["a payment confirmation sent as a command", () => signConfirmation({ transactionId: "T1", deviceId: DEVICE, amountMinor: 100, currency: "INR", provider: "UPI", confirmedAt: hal.clock.now() }, KEY), "bad_tag"],
    ["a command body tagged as a payment", () => sealEnvelope(encodeCommandBody(fields()), KEY, "payment"), "bad_tag"],
    ["a body that is not a map", () => sealEnvelope(encodeProtocolCbor([1, 2]), KEY, "command"), "bad_body"],
    ["a future command version", () => sealEnvelope(body({ v: 2 }), KEY, "command"), "unsupported_version"],
    ["a missing id", () => sealEnvelope(body({ id: undefined }), KEY, "command"), "missing_field"],
    ["an id with spaces", () => sealEnvelope(body({ id: "C 1" }), KEY, "command"), "bad_field"],
    ["a missing name", () => sealEnvelope(body({ name: undefined }), KEY, "command"), "missing_field"],
    ["a name in capitals", () => sealEnvelope(body({ name: "ECHO" }), KEY, "command"), "bad_field"],
    ["args that are not a map", () => sealEnvelope(body({ args: [1] }), KEY, "command"), "bad_field"],
    ["a missing expiry", () => sealEnvelope(body({ exp: undefined }), KEY, "command"), "missing_field"],
    ["an expiry more than a day after issue", () => sealEnvelope(body({ exp: hal.clock.now() + 25 * 3_600_000 }), KEY, "command"), "bad_field"],
    ["another device's command", () => signCommand(fields({ deviceId: "sb-other" }), KEY), "wrong_device"],
    ["an expired command", () => signCommand(fields({ issuedAt: hal.clock.now() - 120_000, expiresAt: hal.clock.now() - 1 }), KEY), "expired"],
    ["an unknown command", () => signCommand(fields({ name: "self-destruct" }), KEY), "unknown_command"],
  ];

  it.each(bad)("refuses %s with a reason code, runs nothing, and runs the next good one", (_what, payload, reason) => {
    const result = send(payload());
    expect(result).toMatchObject({ st: "rejected", rc: reason });
    expect(typeof result.msg).toBe("string");
    expect(echoed).toEqual([]);
    expect(device.commands.counters.rejected).toBe(1);
    expect(send(signCommand(fields({ args: { ok: true } }), KEY))).toMatchObject({ st: "ok" });
    expect(echoed).toEqual([{ ok: true }]);
  });

  it("a rejected command's id is not burnt: the same id, properly signed, still runs", () => {
    expect(send(signCommand(fields({ id: "C-x" }), { keyId: "k1", key: new Uint8Array(32) }))).toMatchObject({ rc: "bad_tag" });
    expect(send(signCommand(fields({ id: "C-x" }), KEY))).toMatchObject({ st: "ok", id: "C-x" });
  });

  it("survives a flood of 2,000 garbage commands", () => {
    let seed = 3;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const junk = new Uint8Array(1 + (i % 120));
      for (let j = 0; j < junk.length; j++) junk[j] = random();
      service.publish(CMD_TOPIC, junk, { qos: 1, retain: false });
    }
    hal.broker.flush();
    expect(results).toHaveLength(2000);
    expect(results.every((r) => r.st === "rejected")).toBe(true);
    expect(send(signCommand(fields(), KEY))).toMatchObject({ st: "ok" });
  });
});
