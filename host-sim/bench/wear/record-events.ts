/**
 * Runs the real firmware on the simulator (embedded aedes, the payment service, a soundbox and a
 * QR display) through the things a shop's day is made of, and records what each one wrote to the
 * key-value store (CountingKv around each device's store, at every boot). Each event is recorded
 * from its start until the device has written nothing for SETTLE_MS, so writes that follow late
 * (an ack the broker takes after the service has it) are counted with it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { deviceTopics } from "../../../firmware/protocol/topics";
import { LONG_PRESS_MS } from "../../../firmware/soundbox/press";
import { SimulatorControl } from "../../control/control";
import { loadReleasePrivateKey, releaseKeyDir, releaseKeyPaths } from "../../release/keys";
import { publishRelease } from "../../release/publish";
import { signRelease } from "../../release/sign";
import { buildSimImage } from "../../release/sim-image";
import { Simulator } from "../../simulator";
import { CountingKv, type KvWrite } from "./counting-kv";

const SOUNDBOX = "wear-soundbox";
const QR_DISPLAY = "wear-qr";
/** Quiet this long after an event, the device is done writing for it. */
const SETTLE_MS = 400;
/** How often telemetry goes out while recording its period (the firmware's minimum, 10 s). */
const TELEMETRY_SEC = 10;
const WALLETS = ["UPI", "PhonePe", "Google Pay", "Paytm", "BHIM"];

export interface RecordedEvent {
  name: string;
  product: "soundbox" | "qr-display";
  /** How many times it happened while recorded; `writes` holds all of them. */
  times: number;
  writes: KvWrite[];
}

export interface RecordOptions {
  payments: number;
  charges: number;
  /** Bytes of the firmware image the recorded update installs. */
  updateBytes: number;
}

class DeviceWrites {
  readonly log: KvWrite[] = [];
  lastWriteAt = 0;

  wrap(kv: ConstructorParameters<typeof CountingKv>[0]): CountingKv {
    return new CountingKv(kv, this.log, () => (this.lastWriteAt = Date.now()));
  }

  async settled(): Promise<void> {
    const quietSince = Date.now();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (Date.now() - Math.max(this.lastWriteAt, quietSince) >= SETTLE_MS) return;
    }
  }
}

/** Amounts a shop takes: deterministic, 10.00 to about 2,500.00 rupees. */
function amount(i: number): string {
  const paise = 1000 + ((i * 7919) % 249_000);
  return (paise / 100).toFixed(2);
}

export async function recordEvents(options: RecordOptions): Promise<RecordedEvent[]> {
  const stateDir = mkdtempSync(join(tmpdir(), "payterm-bench-wear-"));
  const writes = new Map([
    [SOUNDBOX, new DeviceWrites()],
    [QR_DISPLAY, new DeviceWrites()],
  ]);
  const simulator = await Simulator.start({
    stateDir,
    devices: [
      { deviceId: SOUNDBOX, product: "soundbox" },
      { deviceId: QR_DISPLAY, product: "qr-display" },
    ],
    announcementWavs: false,
    speechSpeed: 50,
    wrapKv: (deviceId, kv) => (writes.get(deviceId) as DeviceWrites).wrap(kv),
  });
  const control = new SimulatorControl(simulator);
  const events: RecordedEvent[] = [];
  const record = async (name: string, product: RecordedEvent["product"], times: number, run: () => Promise<void>) => {
    const device = writes.get(product === "soundbox" ? SOUNDBOX : QR_DISPLAY) as DeviceWrites;
    const from = device.log.length;
    await run();
    await device.settled();
    events.push({ name, product, times, writes: device.log.slice(from) });
  };
  const telemetry = await mqtt.connectAsync(simulator.brokerUrl, { clientId: "bench-wear-telemetry", clean: true, reconnectPeriod: 0 });
  try {
    await control.online(SOUNDBOX);
    await control.online(QR_DISPLAY);
    // Not recorded: what the simulator writes at the first boot (the device key, as provisioning
    // would) and the shorter telemetry period the telemetry event needs.
    const configured = await control.command(SOUNDBOX, "config", [`telemetrySec=${TELEMETRY_SEC}`]);
    if (configured.status !== "ok") throw new Error(`config telemetrySec: ${JSON.stringify(configured)}`);
    await writes.get(SOUNDBOX)?.settled();

    await record("power-on", "soundbox", 1, async () => {
      await control.powerCycle(SOUNDBOX, 200);
      await control.online(SOUNDBOX);
    });
    await record("payment", "soundbox", options.payments, async () => {
      for (let i = 0; i < options.payments; i++) {
        const sent = await control.pay({ deviceId: SOUNDBOX, amount: amount(i), provider: WALLETS[i % WALLETS.length] });
        const ack = await simulator.service.waitForAck(sent.transactionId);
        if (ack.status !== "announced") throw new Error(`payment ${i}: ${JSON.stringify(ack)}`);
      }
    });
    await record("summary (Replay held)", "soundbox", 1, () => control.press(SOUNDBOX, "replay", LONG_PRESS_MS + 300));
    await record("volume press", "soundbox", 4, async () => {
      for (const button of ["volumeUp", "volumeUp", "volumeDown", "volumeDown"]) await control.press(SOUNDBOX, button);
    });
    await record("command (summary)", "soundbox", 1, async () => {
      const result = await control.command(SOUNDBOX, "summary");
      if (result.status !== "ok") throw new Error(`summary command: ${JSON.stringify(result)}`);
    });
    await record("telemetry period", "soundbox", 1, () => telemetryPeriod(telemetry, deviceTopics(SOUNDBOX).telemetry));
    await record("firmware update", "soundbox", 1, () => firmwareUpdate(simulator, stateDir, options.updateBytes));

    await record("power-on", "qr-display", 1, async () => {
      await control.powerCycle(QR_DISPLAY, 200);
      await control.online(QR_DISPLAY);
    });
    await record("paid charge", "qr-display", options.charges, async () => {
      for (let i = 0; i < options.charges; i++) {
        const charge = await control.createCharge({ deviceId: QR_DISPLAY, amount: amount(i) });
        const paid = await control.payCharge(charge.reference, WALLETS[i % WALLETS.length]);
        const ack = await simulator.service.waitForAck(paid.transactionId);
        if (ack.status !== "announced") throw new Error(`charge ${i}: ${JSON.stringify(ack)}`);
      }
    });
  } finally {
    await telemetry.endAsync();
    control.close();
    await simulator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return events;
}

/** Resolves at the second telemetry report from now: one whole period lies between the two. */
async function telemetryPeriod(client: mqtt.MqttClient, topic: string): Promise<void> {
  await client.subscribeAsync(topic, { qos: 0 });
  let seen = 0;
  let onMessage: (received: string) => void = () => {};
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no two telemetry reports on ${topic} in ${4 * TELEMETRY_SEC} s`)), 4 * TELEMETRY_SEC * 1000);
    onMessage = (received) => {
      if (received !== topic || ++seen < 2) return;
      clearTimeout(timer);
      resolve();
    };
    client.on("message", onMessage);
  }).finally(() => client.off("message", onMessage));
  await client.unsubscribeAsync(topic);
}

/** A signed firmware update of `bytes`, from the command to the new image confirmed. */
async function firmwareUpdate(simulator: Simulator, stateDir: string, bytes: number): Promise<void> {
  const key = loadReleasePrivateKey(releaseKeyPaths(releaseKeyDir(stateDir)).privateKeyPath);
  const version = "1.1.0";
  const release = signRelease({ image: buildSimImage({ version, product: "soundbox" }, bytes), kind: "firmware", product: "soundbox", version, minVersion: "0.1.0" }, key);
  const [outcome] = await publishRelease({ brokerUrl: simulator.brokerUrl, release, devices: [SOUNDBOX], keyFor: (id) => simulator.registry.keyFor(id), timeoutMs: 120_000 });
  if (outcome.outcome !== "updated") throw new Error(`update: ${JSON.stringify(outcome)}`);
}
