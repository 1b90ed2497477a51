/**
 * The first vertical slice on real brokers: the soundbox firmware on the host HAL receives signed
 * confirmations over MQTT, announces each once, acks, refuses bad input and keeps running.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../host-sim/broker/embedded";
import { encodeProtocolCbor } from "../../host-sim/service/cbor";
import { sealEnvelope, signConfirmation } from "../../host-sim/service/confirmation";
import { Simulator } from "../../host-sim/simulator";
import { Mosquitto } from "../support/mosquitto";

const DEVICE = "soundbox-t1";

const brokers: [string, () => Promise<{ url: string; close(): Promise<void> }>][] = [
  ["aedes in-process", async () => {
    const broker: EmbeddedBroker = await startEmbeddedBroker();
    return { url: broker.url, close: () => broker.close() };
  }],
  ["mosquitto", async () => {
    const broker = await Mosquitto.start();
    return { url: broker.url, close: () => broker.stop() };
  }],
];

describe.each(brokers)("soundbox slice on %s", (_name, startBroker) => {
  let broker: { url: string; close(): Promise<void> };
  let simulator: Simulator;
  let stateDir: string;

  beforeAll(async () => {
    broker = await startBroker();
    stateDir = mkdtempSync(join(tmpdir(), "payterm-slice-"));
    simulator = await Simulator.start({ stateDir, brokerUrl: broker.url, devices: [{ deviceId: DEVICE, product: "soundbox" }] });
    await simulator.device(DEVICE).log.waitFor((e) => e.name === "connected");
  });

  afterAll(async () => {
    await simulator.stop();
    await broker.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const device = () => simulator.device(DEVICE);
  const key = () => simulator.registry.keyFor(DEVICE)!;

  it("announces a confirmed payment once, in Indian English, writes the WAV and acks", async () => {
    const announced = device().log.waitFor((e) => e.name === "announced");
    const wav = device().log.waitFor((e) => e.name === "wav-written" && e.fields.kind === "payment");
    const fields = await simulator.service.publish({ deviceId: DEVICE, amountMinor: 25000, currency: "INR", provider: "UPI" });
    const ack = await simulator.service.waitForAck(fields.transactionId);
    expect(ack).toMatchObject({ status: "announced", transactionId: fields.transactionId, sequence: 1 });
    const event = await announced;
    expect(event.fields).toMatchObject({ txn: fields.transactionId, clips: "received n2 hundred n50 rupees on prov_upi" });
    const written = await wav;
    expect(written.fields.txn).toBe(fields.transactionId);
    expect(existsSync(String(written.fields.file))).toBe(true);
  });

  it("acks a replayed confirmation as a duplicate and does not announce it again", async () => {
    const fields = { transactionId: "REPLAY-1", deviceId: DEVICE, amountMinor: 100, currency: "INR", provider: "Paytm", confirmedAt: Date.now() };
    const message = signConfirmation(fields, key());
    await simulator.service.publishRaw(DEVICE, message);
    expect((await simulator.service.waitForAck("REPLAY-1")).status).toBe("announced");
    const before = device().firmware.pipeline.counters.announced;
    const duplicate = device().log.waitFor((e) => e.name === "duplicate");
    await simulator.service.publishRaw(DEVICE, message);
    expect((await duplicate).fields.txn).toBe("REPLAY-1");
    expect(device().firmware.pipeline.counters.announced).toBe(before);
  });

  it.each([
    ["non-CBOR bytes", () => new TextEncoder().encode("{\"amount\": 250}"), "not_cbor"],
    ["a forged tag", () => sealEnvelope(encodeProtocolCbor({ v: 1, txn: "F1", amt: 100, cur: "INR", prov: "UPI", ts: Date.now(), dev: DEVICE }), { keyId: "k1", key: new Uint8Array(32) }), "bad_tag"],
    ["a missing amount", () => sealEnvelope(encodeProtocolCbor({ v: 1, txn: "M1", cur: "INR", prov: "UPI", ts: Date.now(), dev: DEVICE }), key()), "missing_field"],
  ])("rejects %s with a reason, logs it and keeps running", async (_what, payload, reason) => {
    const rejected = device().log.waitFor((e) => e.name === "rejected");
    await simulator.service.publishRaw(DEVICE, payload());
    expect((await rejected).fields.reason).toBe(reason);
    const fields = await simulator.service.publish({ deviceId: DEVICE, amountMinor: 500, currency: "INR", provider: "UPI" });
    expect((await simulator.service.waitForAck(fields.transactionId)).status).toBe("announced");
  });

  it("keeps its journal across a power cut and receives what was sent while it was off", async () => {
    const first = await simulator.service.publish({ deviceId: DEVICE, amountMinor: 700, currency: "INR", provider: "UPI" });
    await simulator.service.waitForAck(first.transactionId);
    device().powerOff();
    const whileOff = await simulator.service.publish({ deviceId: DEVICE, amountMinor: 900, currency: "INR", provider: "PhonePe" });
    device().start();
    expect((await simulator.service.waitForAck(whileOff.transactionId)).status).toBe("announced");
    const replay = device().log.waitFor((e) => e.name === "duplicate");
    await simulator.service.publish({ deviceId: DEVICE, transactionId: first.transactionId, amountMinor: 700, currency: "INR", provider: "UPI" });
    expect((await replay).fields.txn).toBe(first.transactionId);
  });
});
