/**
 * The payment service restarts and carries on: confirmations it published to a device that was
 * not there (the broker kept nothing, the device had no session yet) are still in flight in its
 * state file, and the next run of the service republishes them until the device, once it comes,
 * announces and acks each. On a private mosquitto.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VoicePack } from "../../host-sim/audio/voice-pack";
import { SimDevice } from "../../host-sim/device/sim-device";
import { PaymentService, type PaymentServiceOptions } from "../../host-sim/service/payment-service";
import { Mosquitto } from "../support/mosquitto";

const DEVICE = "soundbox-restart";

describe("payment service restart (private mosquitto)", () => {
  let broker: Mosquitto;
  let dir: string;
  let device: SimDevice;
  let service: PaymentService | undefined;
  const key = { keyId: "k1", key: new Uint8Array(randomBytes(32)) };

  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = mkdtempSync(join(tmpdir(), "payterm-svc-restart-"));
    device = new SimDevice({ deviceId: DEVICE, product: "soundbox", language: "en-in", broker: { host: "127.0.0.1", port: broker.port }, key, stateDir: dir, voice: new VoicePack("en-in") });
  });

  afterAll(async () => {
    device.stop();
    await service?.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("resumes the retries of the previous run, and every payment is announced once", async () => {
    const options: PaymentServiceOptions = { clientId: "svc-restart", stateDir: join(dir, "service"), delivery: { ackTimeoutMs: 200, maxBackoffMs: 400 } };
    const first = await PaymentService.connect(broker.url, () => key, options);
    const published: string[] = [];
    for (let i = 0; i < 5; i++) published.push((await first.publish({ deviceId: DEVICE, amountMinor: 1000 + i, currency: "INR", provider: "UPI" })).transactionId);
    await first.close();

    service = await PaymentService.connect(broker.url, () => key, options);
    for (const txn of published) expect(service.delivery(txn)?.state).toMatch(/^(published|retrying)$/);

    const announced: string[] = [];
    device.log.listen((e) => {
      if (e.name === "announced") announced.push(String(e.fields.txn));
    });
    device.start();
    const acks = await Promise.all(published.map((txn) => service!.waitForAck(txn, 15_000)));
    expect(acks.map((a) => a.status)).toEqual(published.map(() => "announced"));
    expect(announced.sort()).toEqual([...published].sort());
    for (const txn of published) expect(service.delivery(txn)?.attempts).toBeGreaterThanOrEqual(2);
  });
});
