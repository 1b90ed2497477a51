/**
 * Exactly-once under chaos, on a real broker: thousands of payments to two simulated soundboxes
 * through a private mosquitto while the broker is killed and restarted, the devices lose power
 * and their links drop. Every payment must be announced exactly once, none lost, none twice.
 *
 * The broker runs without persistence (the test support's default), so a restart loses every
 * queued message and every session, the devices' and the service's: the harshest case, which only
 * the service's retries can cover. (With persistence on, a restart would keep the queues and this
 * test would prove less.)
 *
 * Nothing here sleeps for a fixed time: each step waits for a condition (progress made, a
 * connection seen lost), so the run is the same on a fast or a loaded machine, only slower.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VoicePack } from "../../host-sim/audio/voice-pack";
import { SimDevice } from "../../host-sim/device/sim-device";
import type { DeviceKey } from "../../host-sim/service/confirmation";
import { PaymentService } from "../../host-sim/service/payment-service";
import { Mosquitto } from "../support/mosquitto";

const DEVICES = ["chaos-sb-1", "chaos-sb-2"];
const PAYMENTS_PER_DEVICE = 1200;
const TOTAL = DEVICES.length * PAYMENTS_PER_DEVICE;

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("exactly-once delivery under chaos (private mosquitto)", () => {
  let broker: Mosquitto;
  let stateDir: string;
  let service: PaymentService;
  const devices = new Map<string, SimDevice>();
  const keys = new Map<string, DeviceKey>();
  /** transaction -> times announced, over every boot of its device. */
  const announced = new Map<string, number>();
  const settledBy = new Map<string, number>(DEVICES.map((d) => [d, 0]));
  const counts = { brokerRestarts: 0, powerCycles: 0, linkCuts: 0, deviceDuplicates: 0 };

  beforeAll(async () => {
    broker = await Mosquitto.start();
    stateDir = mkdtempSync(join(tmpdir(), "payterm-chaos-"));
    const voice = new VoicePack("en-in");
    for (const deviceId of DEVICES) {
      const key = { keyId: "k1", key: new Uint8Array(randomBytes(32)) };
      keys.set(deviceId, key);
      const device = new SimDevice({ deviceId, product: "soundbox", language: "en-in", broker: { host: "127.0.0.1", port: broker.port }, key, stateDir, voice });
      device.log.listen((event) => {
        // "late" is the firmware's other way of announcing (folded into an offline summary).
        if (event.name === "announced" || event.name === "late") {
          const txn = String(event.fields.txn);
          announced.set(txn, (announced.get(txn) ?? 0) + 1);
        } else if (event.name === "duplicate") counts.deviceDuplicates++;
      });
      devices.set(deviceId, device);
    }
    service = await PaymentService.connect(broker.url, (id) => keys.get(id), {
      clientId: "chaos-payment-service",
      reconnectPeriodMs: 100,
      delivery: { ackTimeoutMs: 1000, maxBackoffMs: 2000, windowPerDevice: 64, defaultExpiresInMs: 10 * 60_000 },
    });
    service.onDelivery((report) => {
      if (report.state === "announced" || report.state === "duplicate") settledBy.set(report.deviceId!, settledBy.get(report.deviceId!)! + 1);
    });
    for (const device of devices.values()) {
      device.start();
      await device.log.waitFor((e) => e.name === "connected");
    }
  });

  afterAll(async () => {
    for (const device of devices.values()) device.stop();
    await service?.close();
    await broker?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const settled = () => [...settledBy.values()].reduce((a, b) => a + b, 0);
  const device = (i: number) => devices.get(DEVICES[i]) as SimDevice;
  const online = (d: SimDevice) => d.running && d.firmware.session.state === "online";

  async function restartBroker(): Promise<void> {
    await broker.restart();
    counts.brokerRestarts++;
  }

  /** The broker stays down until the service and every device have noticed. */
  async function brokerOutage(): Promise<void> {
    await broker.kill();
    await until(() => !service.client.connected && [...devices.values()].every((d) => !online(d)), "everyone to notice the broker is gone");
    await restartBroker();
  }

  /** Power off, and stay off while the other device makes progress, so payments queue up for it. */
  async function powerCycle(i: number): Promise<void> {
    const other = DEVICES[1 - i];
    device(i).powerOff();
    counts.powerCycles++;
    const mark = settledBy.get(other)!;
    await until(() => settledBy.get(other)! >= Math.min(mark + 50, PAYMENTS_PER_DEVICE), `${other} to progress while ${DEVICES[i]} is off`);
    device(i).start();
  }

  function cutLink(i: number): void {
    device(i).cutLink();
    counts.linkCuts++;
  }

  const plan: [number, () => Promise<void> | void][] = [
    [0.06, restartBroker],
    [0.12, () => powerCycle(0)],
    [0.18, () => cutLink(1)],
    [0.26, brokerOutage],
    [0.34, () => powerCycle(1)],
    [0.42, () => cutLink(0)],
    [0.5, async () => {
      // Power lost while the broker restarts.
      device(1).powerOff();
      counts.powerCycles++;
      await restartBroker();
      device(1).start();
    }],
    [0.58, () => {
      cutLink(0);
      cutLink(1);
    }],
    [0.66, restartBroker],
    [0.74, async () => {
      cutLink(1);
      await powerCycle(0);
    }],
    [0.82, brokerOutage],
  ];

  it(`announces each of ${TOTAL} payments exactly once through broker restarts, power cycles and link cuts`, async () => {
    const started = Date.now();
    const published = new Set<string>();
    const senders = DEVICES.map(async (deviceId, d) => {
      for (let i = 0; i < PAYMENTS_PER_DEVICE; i++) {
        const fields = await service.publish({ deviceId, amountMinor: 100 + i, currency: "INR", provider: i % 2 ? "UPI" : "Paytm", transactionId: `CH-${d}-${i}` });
        published.add(fields.transactionId);
      }
    });
    const chaos = (async () => {
      for (const [fraction, step] of plan) {
        await until(() => settled() >= fraction * TOTAL, `${fraction * 100}% of payments acked`);
        await step();
      }
    })();
    await Promise.all([...senders, chaos]);
    await until(() => service.stats().inFlight === 0, "every delivery to settle", 45_000);

    const stats = service.stats();
    const twice = [...announced].filter(([, n]) => n > 1);
    const lost = [...published].filter((txn) => !announced.has(txn));
    const extra = [...announced.keys()].filter((txn) => !published.has(txn));
    const summary = {
      published: published.size,
      announced: announced.size,
      announcedTwice: twice.length,
      lost: lost.length,
      acks: stats.acks,
      settledAnnounced: stats.announced,
      settledDuplicate: stats.duplicate,
      duplicateAcks: stats.duplicateAcks,
      deviceDuplicates: counts.deviceDuplicates,
      retries: stats.retries,
      expired: stats.expired,
      rejected: stats.rejected,
      brokerRestarts: counts.brokerRestarts,
      powerCycles: counts.powerCycles,
      linkCuts: counts.linkCuts,
      seconds: (Date.now() - started) / 1000,
    };
    console.log(`chaos: ${JSON.stringify(summary)}`);

    expect(published.size).toBe(TOTAL);
    expect(twice).toEqual([]);
    expect(lost).toEqual([]);
    expect(extra).toEqual([]);
    expect(stats).toMatchObject({ tracked: TOTAL, inFlight: 0, expired: 0, rejected: 0 });
    expect(stats.announced + stats.duplicate).toBe(TOTAL);
    expect(counts).toMatchObject({ brokerRestarts: 5, powerCycles: 4, linkCuts: 5 });
  }, 90_000);
});
