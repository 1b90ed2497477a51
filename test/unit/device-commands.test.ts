/**
 * The commands every device runs, through the real firmware on the in-memory HAL: `config`
 * (validated settings in NVS, live ones applied at once) and key rotation (`rotate-key`,
 * `retire-key`), with payments signed under the old and new keys.
 */
import { beforeEach, describe, expect, it } from "@jest/globals";
import { CONFIG_DOMAIN } from "../../firmware/config";
import { startDevice, type Device } from "../../firmware/device";
import { decodeCbor, type CborMap } from "../../firmware/protocol/cbor";
import { Keyring } from "../../firmware/payments/keyring";
import { createMemoryHal, MemoryKv, MemoryMqtt, type MemoryHal } from "../../hal/memory/index";
import type { CborPlain } from "../../host-sim/service/cbor";
import { signCommand, wrapKey } from "../../host-sim/service/command";
import { signConfirmation, type DeviceKey } from "../../host-sim/service/confirmation";

const DEVICE = "sb-ops";
const K1: DeviceKey = { keyId: "k1", key: new Uint8Array(32).fill(1) };
const K2: DeviceKey = { keyId: "k2", key: new Uint8Array(32).map((_, i) => i + 100) };
const DEFAULTS = { brokerHost: "b", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30, telemetryEveryMs: 60_000 };
const HOUR = 3_600_000;

describe("device commands", () => {
  let hal: MemoryHal;
  let service: MemoryMqtt;
  let device: Device;
  let results: CborMap[];
  let acks: CborMap[];
  let sequence = 0;

  const boot = (kv: MemoryKv) => {
    hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox", clips: [], kv, clock: hal?.clock, broker: hal?.broker });
    device = startDevice(hal, DEFAULTS);
    hal.broker.flush();
  };

  const command = (name: string, args: { [key: string]: CborPlain }, key: DeviceKey = K1, id = `C${++sequence}`): CborMap => {
    const now = hal.clock.now();
    const before = results.length;
    service.publish(`pt/v1/${DEVICE}/cmd`, signCommand({ id, deviceId: DEVICE, name, args, issuedAt: now, expiresAt: now + 60_000 }, key), { qos: 1, retain: false });
    hal.broker.flush();
    expect(results).toHaveLength(before + 1);
    return results[before];
  };

  const pay = (txn: string, key: DeviceKey): CborMap => {
    const before = acks.length;
    const payload = signConfirmation({ transactionId: txn, deviceId: DEVICE, amountMinor: 100, currency: "INR", provider: "UPI", confirmedAt: hal.clock.now() }, key);
    service.publish(`pt/v1/${DEVICE}/pay`, payload, { qos: 1, retain: false });
    hal.broker.flush();
    expect(acks).toHaveLength(before + 1);
    return acks[before];
  };

  beforeEach(() => {
    results = [];
    acks = [];
    hal = undefined as unknown as MemoryHal;
    const kv = new MemoryKv();
    new Keyring(kv).put(K1.keyId, K1.key);
    boot(kv);
    service = new MemoryMqtt(hal.broker);
    service.connect(
      { host: "b", port: 1883, clientId: "svc", clean: true, keepalive: 30 },
      {
        onConnect: () => {},
        onDisconnect: () => {},
        onMessage: (m, settle) => {
          (m.topic.endsWith("/cmdack") ? results : acks).push(decodeCbor(m.payload) as CborMap);
          settle();
        },
      },
    );
    service.subscribe("pt/v1/+/cmdack", 1);
    service.subscribe("pt/v1/+/ack", 1);
    hal.broker.flush();
  });

  describe("config", () => {
    it("reports the current settings when given none", () => {
      expect(command("config", {})).toMatchObject({ st: "ok", res: { values: { lang: "en-in", lateMin: 5, telemetrySec: 60, keepalive: 30 }, restart: [] } });
    });

    it("stores valid settings, applies the live ones at once and names those that wait for a restart", () => {
      const result = command("config", { lateMin: 10, telemetrySec: 30, keepalive: 45 });
      expect(result).toMatchObject({ st: "ok", res: { values: { lateMin: 10, telemetrySec: 30, keepalive: 45 }, restart: ["keepalive"] } });
      expect(hal.kv.get(CONFIG_DOMAIN, "lateMs")).toBe(600_000);
      expect(hal.kv.get(CONFIG_DOMAIN, "keepalive")).toBe(45);
      // Telemetry now every 30 s instead of 60.
      hal.timers.advance(30_000);
      hal.broker.flush();
      expect(hal.broker.publishedOn(`pt/v1/${DEVICE}/telemetry`)).toHaveLength(1);
      // The late policy reads the new threshold: 8 minutes old is no longer late.
      const payload = signConfirmation({ transactionId: "T-8min", deviceId: DEVICE, amountMinor: 100, currency: "INR", provider: "UPI", confirmedAt: hal.clock.now() - 8 * 60_000 }, K1);
      service.publish(`pt/v1/${DEVICE}/pay`, payload, { qos: 1, retain: false });
      hal.broker.flush();
      expect(hal.log.named("announced").map((e) => e.fields.txn)).toEqual(["T-8min"]);
    });

    it("keeps settings across a restart and resets one to its default with null", () => {
      command("config", { lateMin: 10 });
      device.stop();
      boot(MemoryKv.restore(hal.kv.snapshot()));
      expect(command("config", {})).toMatchObject({ res: { values: { lateMin: 10 } } });
      expect(command("config", { lateMin: null })).toMatchObject({ st: "ok", res: { values: { lateMin: 5 } } });
      expect(hal.kv.get(CONFIG_DOMAIN, "lateMs")).toBeUndefined();
    });

    const refused: [string, { [key: string]: CborPlain }, RegExp][] = [
      ["an unknown setting", { brightness: 5 }, /unknown setting "brightness"; known: lang, lateMin/],
      ["the broker address (provisioning only)", { host: "evil.example" }, /unknown setting "host"/],
      ["a keepalive out of range", { keepalive: 5 }, /setting "keepalive" must be an integer from 10 to 1200/],
      ["a keepalive as text", { keepalive: "long" }, /setting "keepalive" must be an integer/],
      ["a late threshold as a boolean", { lateMin: true }, /setting "lateMin" must be an integer/],
      ["a telemetry period below 10 s", { telemetrySec: 1 }, /setting "telemetrySec" must be an integer from 10 to 86400/],
      ["a language the firmware lacks", { lang: "xx-yy" }, /language "xx-yy" is not in this firmware/],
      ["a language as a number", { lang: 7 }, /setting "lang" must be text/],
      ["a malformed VPA", { vpa: "not-a-vpa" }, /setting "vpa" pa: pa "not-a-vpa" is not a payee address of the form name@handle/],
      ["an empty payee name", { payee: "" }, /setting "payee" pn: pn has 0 characters; it takes 1 to 99/],
    ];

    it("refuses a fractional value already at decoding: floats are not protocol CBOR", () => {
      expect(command("config", { lateMin: 1.5 })).toMatchObject({ st: "rejected", rc: "bad_body", msg: expect.stringMatching(/floating-point/) });
    });

    it.each(refused)("refuses %s with a reason and changes nothing", (_what, args, detail) => {
      const result = command("config", { lateMin: 20, ...args });
      expect(result).toMatchObject({ st: "rejected", rc: "bad_args" });
      expect(String(result.msg)).toMatch(detail);
      expect(hal.kv.get(CONFIG_DOMAIN, "lateMs")).toBeUndefined();
      expect(command("config", { lateMin: 20 })).toMatchObject({ st: "ok" });
    });
  });

  describe("key rotation", () => {
    const rotate = (next: DeviceKey, grace?: number, signer: DeviceKey = K1, id = `R${++sequence}`) =>
      command("rotate-key", { kid: next.keyId, wkey: wrapKey(signer, id, next), ...(grace === undefined ? {} : { grace }) }, signer, id);

    it("installs the new key, makes it current, and accepts the old one for the grace period", () => {
      const result = rotate(K2, 3600);
      const at = hal.clock.now() + HOUR;
      expect(result).toEqual({ v: 1, st: "ok", at: hal.clock.now(), id: expect.any(String), res: { cur: "k2", retiring: { k1: at } } });
      expect(pay("T-new", K2)).toMatchObject({ st: "announced" });
      expect(pay("T-old", K1)).toMatchObject({ st: "announced" });
      hal.clock.tick(HOUR);
      expect(pay("T-late-old", K1)).toMatchObject({ st: "rejected", rc: "unknown_key" });
      expect(pay("T-new-2", K2)).toMatchObject({ st: "announced" });
      // A restart prunes the retired key from NVS.
      device.stop();
      boot(MemoryKv.restore(hal.kv.snapshot()));
      expect(hal.kv.keys("keys")).toEqual(["k2"]);
      expect(pay("T-after-restart", K2)).toMatchObject({ st: "announced" });
    });

    it("never puts the new key on the wire: the command carries it masked", () => {
      const id = "R-wire";
      const wrapped = wrapKey(K1, id, K2);
      expect(Buffer.from(wrapped).equals(Buffer.from(K2.key))).toBe(false);
      rotate(K2, 60, K1, id);
      const sent = hal.broker.publishedOn(`pt/v1/${DEVICE}/cmd`).map((r) => Buffer.from(r.payload));
      expect(sent.some((bytes) => bytes.includes(Buffer.from(K2.key)))).toBe(false);
      expect(pay("T-k2", K2)).toMatchObject({ st: "announced" });
    });

    it("after rotation, key commands need the new key; the old one still confirms payments", () => {
      rotate(K2, 3600);
      const K3 = { keyId: "k3", key: new Uint8Array(32).fill(3) };
      expect(rotate(K3, 60, K1)).toMatchObject({ st: "rejected", rc: "key_not_current" });
      expect(command("retire-key", { kid: "k2" }, K1)).toMatchObject({ st: "rejected", rc: "key_not_current" });
      expect(pay("T-old-ok", K1)).toMatchObject({ st: "announced" });
      expect(rotate(K3, 60, K2)).toMatchObject({ st: "ok", res: { cur: "k3" } });
    });

    it("retire-key stops accepting the old key at once", () => {
      rotate(K2, 3600);
      expect(command("retire-key", { kid: "k1" }, K2)).toMatchObject({ st: "ok", res: { retired: "k1" } });
      expect(pay("T-old", K1)).toMatchObject({ st: "rejected", rc: "unknown_key" });
      expect(command("retire-key", { kid: "k2" }, K2)).toMatchObject({ st: "rejected", rc: "bad_args", msg: expect.stringMatching(/authenticated this command/) });
      expect(command("retire-key", { kid: "k9" }, K2)).toMatchObject({ st: "rejected", msg: 'no key "k9" on this device' });
    });

    it("grace 0 retires the old key immediately", () => {
      rotate(K2, 0);
      expect(pay("T-old", K1)).toMatchObject({ st: "rejected", rc: "unknown_key" });
    });

    it("refuses malformed rotations and changes nothing", () => {
      expect(command("rotate-key", { kid: "k2" })).toMatchObject({ st: "rejected", rc: "bad_args", msg: 'argument "wkey" is required' });
      expect(command("rotate-key", { kid: "k2", wkey: new Uint8Array(16) })).toMatchObject({ rc: "bad_args", msg: 'argument "wkey" must be a byte string of 32 bytes' });
      expect(command("rotate-key", { kid: "bad id!", wkey: new Uint8Array(32) })).toMatchObject({ rc: "bad_args" });
      expect(command("rotate-key", { kid: "k2", wkey: new Uint8Array(32), grace: -1 })).toMatchObject({ rc: "bad_args" });
      expect(command("rotate-key", { kid: "k1", wkey: new Uint8Array(32) })).toMatchObject({ rc: "bad_args", msg: '"k1" is already the current key' });
      expect(hal.kv.keys("keys")).toEqual(["k1"]);
      expect(pay("T-still-k1", K1)).toMatchObject({ st: "announced" });
    });

    it("refuses a key id already holding another key, and accepts the same key again", () => {
      rotate(K2, 3600);
      const K3 = { keyId: "k3", key: new Uint8Array(32).fill(3) };
      rotate(K3, 3600, K2);
      expect(rotate({ keyId: "k2", key: new Uint8Array(32).fill(9) }, 60, K3)).toMatchObject({ st: "rejected", msg: expect.stringMatching(/already in use/) });
      expect(rotate(K2, 60, K3)).toMatchObject({ st: "ok", res: { cur: "k2" } });
    });
  });
});
