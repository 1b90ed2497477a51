/**
 * A restart between journaling and announcing: on the next boot the device announces the entry
 * and acks it, so the payment service (whose message was already settled) learns its fate.
 */
import { describe, expect, it } from "@jest/globals";
import { startDevice } from "../../firmware/device";
import { decodeCbor } from "../../firmware/protocol/cbor";
import { Journal } from "../../firmware/payments/journal";
import { createMemoryHal } from "../../hal/memory/index";

const DEFAULTS = { brokerHost: "broker", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 };

describe("device start-up after a restart mid-pipeline", () => {
  it("announces and acks a journaled but unannounced confirmation", () => {
    const hal = createMemoryHal({ deviceId: "sb-9", product: "soundbox", clips: ["device_ready", "received", "n5", "rupees", "on", "prov_upi"] });
    new Journal(hal.kv).append(
      { transactionId: "T-LOST", amountMinor: 500, currency: "INR", provider: "UPI", confirmedAt: 1, expiresAt: undefined, deviceId: "sb-9" },
      1,
    );
    const device = startDevice(hal, DEFAULTS);
    hal.broker.flush();
    const acks = hal.broker.publishedOn("pt/v1/sb-9/ack").map((record) => decodeCbor(record.payload));
    expect(acks).toEqual([expect.objectContaining({ st: "announced", txn: "T-LOST", seq: 1 })]);
    expect(hal.log.named("recovered").map((r) => r.fields.txn)).toEqual(["T-LOST"]);
    hal.audio!.drain();
    // "Device ready" is queued first at boot, and the recovered payment right after it.
    expect(hal.audio!.played).toEqual(["device_ready", "received", "n5", "rupees", "on", "prov_upi"]);
    expect(new Journal(hal.kv).unannounced()).toEqual([]);
    device.stop();
  });
});
