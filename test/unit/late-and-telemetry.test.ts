/**
 * After an outage: confirmations that arrive long after the payment are journaled and acked,
 * but spoken once as a "while you were offline" summary. And the periodic telemetry report.
 */
import { beforeEach, describe, expect, it } from "@jest/globals";
import { startDevice } from "../../firmware/device";
import { decodeCbor, type CborMap } from "../../firmware/protocol/cbor";
import { Keyring } from "../../firmware/payments/keyring";
import { LATE_QUIET_MS } from "../../firmware/payments/late-policy";
import { createMemoryHal, MemoryMqtt, type MemoryHal } from "../../hal/memory/index";
import { signConfirmation } from "../../host-sim/service/confirmation";

const DEVICE = "sb-late";
const KEY = { keyId: "k1", key: new Uint8Array(32).fill(3) };
const DEFAULTS = { brokerHost: "b", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30, lateAfterMs: 300_000, telemetryEveryMs: 60_000 };

describe("late deliveries and telemetry", () => {
  let hal: MemoryHal;
  let service: MemoryMqtt;
  let acks: CborMap[];

  const pay = (txn: string, amountMinor: number, ageMs: number) => {
    const payload = signConfirmation(
      { transactionId: txn, deviceId: DEVICE, amountMinor, currency: "INR", provider: "UPI", confirmedAt: hal.clock.now() - ageMs },
      KEY,
    );
    service.publish(`pt/v1/${DEVICE}/pay`, payload, { qos: 1, retain: false });
    hal.broker.flush();
  };

  beforeEach(() => {
    hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox", clips: [] });
    new Keyring(hal.kv).put(KEY.keyId, KEY.key);
    service = new MemoryMqtt(hal.broker);
    acks = [];
    service.connect(
      { host: "b", port: 1883, clientId: "svc", clean: true, keepalive: 30 },
      { onConnect: () => {}, onDisconnect: () => {}, onMessage: (m, settle) => (acks.push(decodeCbor(m.payload) as CborMap), settle()) },
    );
    service.subscribe("pt/v1/+/ack", 1);
    startDevice(hal, DEFAULTS);
    hal.broker.flush();
  });

  it("folds stale confirmations into one summary per currency, after the burst", () => {
    pay("OLD-1", 10000, 20 * 60_000);
    pay("OLD-2", 25050, 15 * 60_000);
    pay("NEW-1", 500, 2000);
    pay("OLD-3", 4950, 6 * 60_000);
    expect(acks.map((a) => [a.txn, a.st])).toEqual([["OLD-1", "announced"], ["OLD-2", "announced"], ["NEW-1", "announced"], ["OLD-3", "announced"]]);
    expect(hal.log.named("late").map((e) => e.fields.txn)).toEqual(["OLD-1", "OLD-2", "OLD-3"]);
    expect(hal.log.named("announced").map((e) => e.fields.txn)).toEqual(["NEW-1"]);
    expect(hal.log.named("offline-summary")).toEqual([]);
    hal.timers.advance(LATE_QUIET_MS);
    const [summary] = hal.log.named("offline-summary");
    expect(summary.fields).toMatchObject({ count: 3, total: "400.00", cur: "INR" });
    expect(summary.fields.clips).toBe("while_offline received n3 payments total n4 hundred rupees");
  });

  it("publishes telemetry with counters and health on its period", () => {
    pay("T-1", 100, 1000);
    service.publish(`pt/v1/${DEVICE}/pay`, new Uint8Array([1, 2, 3]), { qos: 1, retain: false });
    hal.broker.flush();
    hal.power.set({ batteryPercent: 41, charging: true });
    hal.timers.advance(60_000);
    hal.broker.flush();
    const reports = hal.broker.publishedOn(`pt/v1/${DEVICE}/telemetry`).map((r) => decodeCbor(r.payload) as CborMap);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ v: 1, rx: 2, ann: 1, dup: 0, rej: 1, rc: { not_cbor: 1 }, fw: hal.system.firmwareVersion, bat: 41, chg: true, drop: 0, jbad: 0 });
    hal.timers.advance(60_000);
    hal.broker.flush();
    expect(hal.broker.publishedOn(`pt/v1/${DEVICE}/telemetry`)).toHaveLength(2);
  });
});
