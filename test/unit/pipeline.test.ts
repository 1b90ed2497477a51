/**
 * Every way a confirmation can be wrong, through the firmware pipeline on the host HAL: each is
 * rejected with its reason code, counted, acked, never announced, and the next good one passes.
 */
import { beforeEach, describe, expect, it } from "@jest/globals";
import { decodeCbor } from "../../firmware/protocol/cbor";
import { AckCourier } from "../../firmware/payments/ack-courier";
import { Journal } from "../../firmware/payments/journal";
import { Keyring } from "../../firmware/payments/keyring";
import { MAX_CONFIRMATION_AGE_MS, PaymentPipeline } from "../../firmware/payments/pipeline";
import { EventLog } from "../../host-sim/device/event-log";
import { FileKv } from "../../host-sim/hal/file-kv";
import { nodeCrypto } from "../../host-sim/hal/node-crypto";
import { encodeProtocolCbor, type CborPlain } from "../../host-sim/service/cbor";
import { sealEnvelope, signConfirmation, tagBody } from "../../host-sim/service/confirmation";

const DEVICE = "sb-1";
const KEY = { keyId: "k1", key: new Uint8Array(32).fill(7) };
const NOW = 1_763_700_000_000;

/** Acks through the real courier; the "broker" answers a tracked one with PUBACK when the test says. */
function ackRig(journal: Journal, log: EventLog, acks: Record<string, unknown>[]) {
  const pubacks: (() => void)[] = [];
  const courier = new AckCourier({
    journal,
    log,
    publish: (payload) => acks.push(decodeCbor(payload) as Record<string, unknown>),
    publishTracked: (payload, onPuback) => {
      acks.push(decodeCbor(payload) as Record<string, unknown>);
      pubacks.push(onPuback);
    },
  });
  return { courier, puback: () => pubacks.splice(0).forEach((run) => run()) };
}

const body = (overrides: Record<string, CborPlain | undefined> = {}) => {
  const map: Record<string, CborPlain> = { v: 1, txn: "T1", amt: 25000, cur: "INR", prov: "UPI", ts: NOW - 1000, dev: DEVICE };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete map[k];
    else map[k] = v;
  }
  return encodeProtocolCbor(map);
};

describe("payment pipeline", () => {
  let pipeline: PaymentPipeline;
  let announced: string[];
  let acks: Record<string, unknown>[];
  let log: EventLog;
  let journal: Journal;
  let puback: () => void;

  beforeEach(() => {
    const kv = new FileKv();
    new Keyring(kv).put(KEY.keyId, KEY.key);
    announced = [];
    acks = [];
    log = new EventLog(DEVICE);
    journal = new Journal(kv);
    const rig = ackRig(journal, log, acks);
    puback = rig.puback;
    pipeline = new PaymentPipeline({
      deviceId: DEVICE,
      clock: { now: () => NOW, monotonic: () => 0 },
      crypto: nodeCrypto,
      log,
      keyring: new Keyring(kv),
      journal,
      announce: (entry) => announced.push(entry.confirmation.transactionId),
      acks: rig.courier,
    });
  });

  it("announces a good confirmation and acks it after journaling", () => {
    let settledBeforeAck = false;
    pipeline.receive(sealEnvelope(body(), KEY), () => (settledBeforeAck = acks.length === 0));
    expect(announced).toEqual(["T1"]);
    expect(acks).toEqual([{ v: 1, st: "announced", at: NOW, txn: "T1", seq: 1 }]);
    expect(settledBeforeAck).toBe(true);
    expect(log.events.map((e) => e.name)).toEqual(["verified", "journaled"]);
  });

  it("ignores unknown body keys, so later additions do not break v1 devices", () => {
    pipeline.receive(sealEnvelope(body({ note: "table 4", extra: [1, 2] }), KEY));
    expect(announced).toEqual(["T1"]);
  });

  const cases: [string, () => Uint8Array, string][] = [
    ["non-CBOR bytes", () => new TextEncoder().encode("hello"), "not_cbor"],
    ["truncated CBOR", () => sealEnvelope(body(), KEY).subarray(0, 40), "not_cbor"],
    ["an oversized payload", () => new Uint8Array(1025), "too_large"],
    ["an envelope that is an array", () => encodeProtocolCbor([1, 2]), "bad_envelope"],
    ["a tag of the wrong length", () => encodeProtocolCbor({ v: 1, kid: "k1", body: body(), tag: new Uint8Array(16) }), "bad_envelope"],
    ["a future envelope version", () => encodeProtocolCbor({ v: 2, kid: "k1", body: body(), tag: new Uint8Array(32) }), "unsupported_version"],
    ["an unknown key id", () => sealEnvelope(body(), { keyId: "k9", key: KEY.key }), "unknown_key"],
    ["a bad HMAC", () => sealEnvelope(body(), { keyId: "k1", key: new Uint8Array(32).fill(8) }), "bad_tag"],
    ["a body altered after signing", () => {
      const original = body();
      const altered = body({ amt: 2500000 });
      return encodeProtocolCbor({ v: 1, kid: "k1", body: altered, tag: tagBody(KEY.key, original) });
    }, "bad_tag"],
    ["a body tagged as a command, not a payment", () => sealEnvelope(body(), KEY, "command"), "bad_tag"],
    ["a body tagged as a charge request, not a payment", () => sealEnvelope(body(), KEY, "charge"), "bad_tag"],
    ["a signed body that is not CBOR", () => sealEnvelope(new Uint8Array([0xff, 0x00]), KEY), "bad_body"],
    ["a future body version", () => sealEnvelope(body({ v: 2 }), KEY), "unsupported_version"],
    ["a missing transaction id", () => sealEnvelope(body({ txn: undefined }), KEY), "missing_field"],
    ["a missing amount", () => sealEnvelope(body({ amt: undefined }), KEY), "missing_field"],
    ["an amount as text", () => sealEnvelope(body({ amt: "250.00" }), KEY), "bad_field"],
    ["a zero amount", () => sealEnvelope(body({ amt: 0 }), KEY), "amount_range"],
    ["a negative amount", () => sealEnvelope(body({ amt: -500 }), KEY), "amount_range"],
    ["an amount past the limit", () => sealEnvelope(body({ amt: 10_000_000_000 }), KEY), "amount_range"],
    ["an amount past 2^53", () => sealEnvelope(body({ amt: 2n ** 60n }), KEY), "amount_range"],
    ["an unknown currency", () => sealEnvelope(body({ cur: "XYZ" }), KEY), "unknown_currency"],
    ["a currency in lower case", () => sealEnvelope(body({ cur: "inr" }), KEY), "bad_field"],
    ["a timestamp as text", () => sealEnvelope(body({ ts: "yesterday" }), KEY), "bad_field"],
    ["another device's confirmation", () => sealEnvelope(body({ dev: "sb-2" }), KEY), "wrong_device"],
    ["an expired confirmation", () => sealEnvelope(body({ exp: NOW - 1 }), KEY), "expired"],
  ];

  it.each(cases)("rejects %s", (_what, payload, reason) => {
    const outcome = pipeline.receive(payload());
    expect(outcome.status).toBe("rejected");
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ st: "rejected", rc: reason });
    expect(announced).toEqual([]);
    expect(pipeline.counters.rejectedBy[reason as never]).toBe(1);
    pipeline.receive(signConfirmation({ transactionId: "OK", deviceId: DEVICE, amountMinor: 1, currency: "INR", provider: "UPI", confirmedAt: NOW }, KEY));
    expect(announced).toEqual(["OK"]);
  });

  it("acks a replay as a duplicate without announcing it twice, once the broker has the first ack", () => {
    const message = sealEnvelope(body(), KEY);
    pipeline.receive(message);
    puback();
    expect(journal.find("T1")?.state).toBe("acked");
    pipeline.receive(message);
    expect(announced).toEqual(["T1"]);
    expect(acks[1]).toMatchObject({ st: "duplicate", rc: "duplicate", txn: "T1", seq: 1 });
  });

  it("answers a copy that arrives while the announced ack is outstanding with that ack again", () => {
    const message = sealEnvelope(body(), KEY);
    pipeline.receive(message);
    expect(journal.unacked().map((e) => e.sequence)).toEqual([1]);
    pipeline.receive(message);
    expect(announced).toEqual(["T1"]);
    expect(acks).toEqual([
      { v: 1, st: "announced", at: NOW, txn: "T1", seq: 1 },
      { v: 1, st: "announced", at: NOW, txn: "T1", seq: 1 },
    ]);
    expect(pipeline.counters.duplicates).toBe(1);
    expect(log.events.at(-1)).toMatchObject({ name: "duplicate", fields: { txn: "T1", answer: "announced" } });
    puback();
    expect(journal.unacked()).toEqual([]);
  });

  it("refuses a confirmation older than what the journal can de-duplicate (too_old)", () => {
    const journal = new Journal(new FileKv(), 4);
    const kv = new FileKv();
    const rig = ackRig(journal, log, acks);
    new Keyring(kv).put(KEY.keyId, KEY.key);
    const small = new PaymentPipeline({
      deviceId: DEVICE,
      clock: { now: () => NOW, monotonic: () => 0 },
      crypto: nodeCrypto,
      log,
      keyring: new Keyring(kv),
      journal,
      announce: (entry) => announced.push(entry.confirmation.transactionId),
      acks: rig.courier,
    });
    const pay = (txn: string, ts: number) => sealEnvelope(body({ txn, ts }), KEY);
    const first = pay("T-0", NOW - 10_000);
    small.receive(first);
    for (let i = 1; i <= 4; i++) small.receive(pay(`T-${i}`, NOW - 10_000 + i));
    expect(announced).toEqual(["T-0", "T-1", "T-2", "T-3", "T-4"]);
    // T-0 has left the ring of 4: a replay of it is refused, not announced twice.
    expect(small.receive(first)).toMatchObject({ status: "rejected", rejection: { reason: "too_old" } });
    expect(small.receive(pay("T-never-seen", NOW - 10_000))).toMatchObject({ status: "rejected", rejection: { reason: "too_old" } });
    expect(small.receive(pay("T-5", NOW - 5_000)).status).toBe("announced");
    expect(acks.at(-2)).toMatchObject({ st: "rejected", rc: "too_old", txn: "T-never-seen" });
  });

  it("refuses a confirmation more than a day old on arrival (too_old), expiry or not", () => {
    expect(pipeline.receive(sealEnvelope(body({ ts: NOW - MAX_CONFIRMATION_AGE_MS - 1 }), KEY)).status).toBe("rejected");
    expect(acks[0]).toMatchObject({ st: "rejected", rc: "too_old" });
    expect(pipeline.receive(sealEnvelope(body({ txn: "T2", ts: NOW - MAX_CONFIRMATION_AGE_MS }), KEY)).status).toBe("announced");
  });

  it("survives a flood of 10,000 garbage messages and still announces the next payment", () => {
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 10_000; i++) {
      const junk = new Uint8Array(1 + (i % 200));
      for (let j = 0; j < junk.length; j++) junk[j] = random();
      expect(pipeline.receive(junk).status).toBe("rejected");
    }
    expect(pipeline.counters.rejected).toBe(10_000);
    pipeline.receive(sealEnvelope(body(), KEY));
    expect(announced).toEqual(["T1"]);
  });
});
