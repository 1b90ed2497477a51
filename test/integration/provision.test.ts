/**
 * Provisioning round trip on a private mosquitto: `payterm provision` makes two soundboxes; the
 * broker runs with the ACL and password file it wrote; one device's NVS image is read back into
 * the simulator's key-value store and boots the real firmware, which connects with the
 * credentials in the image, announces a payment the service signs with the key from the backend
 * import, and acks it. The other device's credentials (read from its own image) cannot read or
 * forge the first device's topics; with the dynamic-security configuration provisioning also
 * writes, they cannot even subscribe to them.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import type { Hal } from "../../hal/index";
import type { KvValue } from "../../hal/kv";
import { CONFIG_DOMAIN, provisionedDeviceId, provisionedProduct } from "../../firmware/config";
import { startDevice, type Device } from "../../firmware/device";
import { deviceTopics } from "../../firmware/protocol/topics";
import { VoicePack } from "../../host-sim/audio/voice-pack";
import { EventLog } from "../../host-sim/device/event-log";
import { FileKv } from "../../host-sim/hal/file-kv";
import { MqttJsTransport } from "../../host-sim/hal/mqttjs-transport";
import { nodeClock, NodeTimers } from "../../host-sim/hal/node-clock";
import { nodeCrypto } from "../../host-sim/hal/node-crypto";
import { SimButtons } from "../../host-sim/hal/panel";
import { RecordingAudio } from "../../host-sim/hal/recording-audio";
import { MemoryNetwork, MemoryPower } from "../../hal/memory/peripherals";
import { readBackendImport } from "../../host-sim/provision/backend";
import { loadNvsIntoKv } from "../../host-sim/provision/nvs/kv-image";
import { provision, type ProvisionSummary } from "../../host-sim/provision/provision";
import { silentProgress } from "../../host-sim/provision/progress";
import { Registry } from "../../host-sim/registry";
import { PaymentService } from "../../host-sim/service/payment-service";
import { freePort, Mosquitto } from "../support/mosquitto";
import { TestCa } from "../support/tls-certs";

const PARTITIONS = join(import.meta.dirname, "..", "..", "hal", "moddable", "partitions.csv");

interface Image {
  deviceId: string;
  kv: FileKv;
}

function readImage(out: string, deviceId: string): Image {
  const kv = new FileKv();
  loadNvsIntoKv(new Uint8Array(readFileSync(join(out, "devices", deviceId, "nvs.bin"))), kv);
  return { deviceId, kv };
}

function config(image: Image, key: string): KvValue | undefined {
  return image.kv.get(CONFIG_DOMAIN, key);
}

interface Booted {
  log: EventLog;
  stop(): void;
}

/**
 * Boots the real soundbox firmware on the host HAL with `image` as its whole NVS: the defaults
 * point nowhere, so only what provisioning wrote can get it to the broker. Resolves once connected.
 */
async function bootFromImage(image: Image): Promise<Booted> {
  const deviceId = provisionedDeviceId(image.kv) as string;
  const log = new EventLog(deviceId);
  const timers = new NodeTimers();
  const audio = new RecordingAudio(new VoicePack("en-in"), () => {});
  const hal: Hal = {
    clock: nodeClock,
    timers,
    kv: image.kv,
    mqtt: new MqttJsTransport(),
    crypto: nodeCrypto,
    buttons: new SimButtons(["power"]),
    power: new MemoryPower(),
    network: new MemoryNetwork(),
    system: { deviceId, product: "soundbox", firmwareVersion: "0.1.0-test", freeHeap: () => 0, restart: () => {} },
    log,
    audio,
  };
  const connected = log.waitFor((e) => e.name === "connected", 10_000);
  const device: Device = startDevice(hal, { brokerHost: "unprovisioned.invalid", brokerPort: 1, brokerTls: false, language: "hi", keepalive: 600 });
  await connected;
  return {
    log,
    stop: () => {
      device.stop();
      audio.flush();
      timers.clearAll();
    },
  };
}

/** The SUBACK return codes for a set of subscriptions (mqtt.js rejects when any is 0x80). */
async function subackCodes(client: mqtt.MqttClient, topics: string[]): Promise<number[]> {
  const map = Object.fromEntries(topics.map((topic) => [topic, { qos: 1 as const }]));
  try {
    return (await client.subscribeAsync(map)).map((g) => g.qos);
  } catch (error) {
    const granted = (error as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw error;
    return granted;
  }
}

/** Opens a client with a device's credentials; resolves once connected, or with the refusal. */
async function connectAs(url: string, username: string, password: string): Promise<mqtt.MqttClient> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, username, password, clientId: username, clean: true });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  return client;
}

describe("provisioning round trip: NVS image -> simulated device -> mosquitto with the generated ACL and passwords", () => {
  let dir: string;
  let out: string;
  let summary: ProvisionSummary;
  let broker: Mosquitto;
  let service: PaymentService;
  let booted: Booted;
  let a: Image;
  let b: Image;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "payterm-provision-"));
    out = join(dir, "batch");
    const csv = join(dir, "merchants.csv");
    writeFileSync(csv, "merchant_id,name,vpa,product\nM-001,Sharma Chai Corner,sharma.chai@okaxis,soundbox\nM-002,Patel Kirana,patel.kirana@ybl,soundbox\n");
    const port = await freePort();
    summary = await provision({
      out,
      merchants: { source: csv, text: readFileSync(csv, "utf8") },
      brokerUrl: `mqtt://127.0.0.1:${port}`,
      rotate: false,
      partitionTable: { text: readFileSync(PARTITIONS, "utf8"), source: PARTITIONS },
      chip: "esp32",
      baud: 921600,
      keepalive: 30,
      certificateDays: 365,
      now: new Date(),
      progress: silentProgress,
    });
    const imported = readBackendImport(readFileSync(join(out, "backend", "devices.json"), "utf8"), "devices.json");
    const of = (merchant: string) => imported.find((d) => d.merchantId === merchant)?.deviceId as string;
    a = readImage(out, of("M-001"));
    b = readImage(out, of("M-002"));

    broker = await Mosquitto.start(
      [
        // Started as root, mosquitto drops to its own user, which could not read the 0700 output directory.
        `user ${userInfo().username}`,
        readFileSync(join(out, "broker", "mosquitto.conf"), "utf8"),
      ].join("\n"),
      port,
    );
    const registry = new Registry(join(dir, "state"));
    registry.importDevices(readBackendImport(readFileSync(join(out, "backend", "devices.csv"), "utf8"), "devices.csv"));
    const account = JSON.parse(readFileSync(join(out, "broker", "service.json"), "utf8")) as { url: string; username: string; password: string };
    expect(account.url).toBe(broker.url);
    service = await PaymentService.connect(account.url, (id) => registry.keyFor(id), { clientId: account.username, username: account.username, password: account.password });

    booted = await bootFromImage(a);
  });

  afterAll(async () => {
    booted?.stop();
    await service?.close();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("made two devices with distinct identities, each image carrying its own id, product and credentials", () => {
    expect(summary.created).toHaveLength(2);
    expect(provisionedDeviceId(a.kv)).toBe(a.deviceId);
    expect(provisionedProduct(a.kv)).toBe("soundbox");
    expect(a.deviceId).not.toBe(b.deviceId);
    expect(config(a, "user")).toBe(a.deviceId);
    expect(config(a, "pass")).not.toBe(config(b, "pass"));
    expect(config(a, "port")).toBe(broker.port);
    expect(config(a, "payee")).toBe("Sharma Chai Corner");
  });

  it("boots the firmware from the image: it connects with the image's credentials and announces a signed payment", async () => {
    const announced = booted.log.waitFor((e) => e.name === "announced");
    const fields = await service.publish({ deviceId: a.deviceId, amountMinor: 25000, currency: "INR", provider: "UPI" });
    expect(await service.waitForAck(fields.transactionId)).toMatchObject({ status: "announced", deviceId: a.deviceId });
    expect((await announced).fields.txn).toBe(fields.transactionId);
  });

  it("refuses a wrong password (the control for the password file)", async () => {
    await expect(connectAs(broker.url, a.deviceId, "not-the-password")).rejects.toThrow(/Not authorized|Bad username or password/);
  });

  // mosquitto 2.0's acl_file grants every SUBSCRIBE and applies "read" when it delivers, so the
  // proof is that nothing arrives (the dynamic-security variant below refuses the subscription).
  it("does not let device B read A's payments or status, nor forge a payment to A", async () => {
    const client = await connectAs(broker.url, b.deviceId, config(b, "pass") as string);
    const seen: string[] = [];
    client.on("message", (topic) => seen.push(topic));
    try {
      await client.subscribeAsync({ [`pt/v1/${a.deviceId}/#`]: { qos: 1 }, "pt/v1/+/pay": { qos: 1 }, [deviceTopics(b.deviceId).payments]: { qos: 1 } });
      // A forged confirmation from B: the broker drops a publish the ACL does not allow.
      const rejected = booted.log.waitFor((e) => e.name === "received", 1500).then(
        () => "delivered",
        () => "not delivered",
      );
      await client.publishAsync(deviceTopics(a.deviceId).payments, Buffer.from("forged"), { qos: 1 });
      expect(await rejected).toBe("not delivered");
      // A real payment to A goes through, and B sees none of it.
      const fields = await service.publish({ deviceId: a.deviceId, amountMinor: 1000, currency: "INR", provider: "UPI" });
      expect(await service.waitForAck(fields.transactionId)).toMatchObject({ status: "announced" });
      // The control: B does get what is published on its own topic.
      const own = new Promise<void>((resolve) => client.on("message", (topic) => topic === deviceTopics(b.deviceId).payments && resolve()));
      await service.client.publishAsync(deviceTopics(b.deviceId).payments, Buffer.from("for B"), { qos: 1 });
      await own;
      expect(seen).toEqual([deviceTopics(b.deviceId).payments]);
    } finally {
      await client.endAsync(true);
    }
  });
});

describe("the same batch on mosquitto's dynamic-security plugin (broker/mosquitto-dynsec.conf)", () => {
  let dir: string;
  let out: string;
  let broker: Mosquitto;
  let a: Image;
  let b: Image;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "payterm-provision-dynsec-"));
    out = join(dir, "batch");
    const port = await freePort();
    await provision({
      out,
      count: 2,
      product: "soundbox",
      brokerUrl: `mqtt://127.0.0.1:${port}`,
      rotate: false,
      partitionTable: { text: readFileSync(PARTITIONS, "utf8"), source: PARTITIONS },
      chip: "esp32",
      baud: 921600,
      keepalive: 30,
      certificateDays: 365,
      now: new Date(),
      progress: silentProgress,
    });
    const [first, second] = readBackendImport(readFileSync(join(out, "backend", "devices.json"), "utf8"), "devices.json");
    a = readImage(out, first.deviceId);
    b = readImage(out, second.deviceId);
    broker = await Mosquitto.start([`user ${userInfo().username}`, readFileSync(join(out, "broker", "mosquitto-dynsec.conf"), "utf8")].join("\n"), port);
  });

  afterAll(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("grants device B its own topics and refuses A's and a wildcard over every device (SUBACK 0x80)", async () => {
    const client = await connectAs(broker.url, b.deviceId, config(b, "pass") as string);
    try {
      const own = deviceTopics(b.deviceId);
      const other = deviceTopics(a.deviceId);
      expect(await subackCodes(client, [own.payments, own.commands, other.payments, other.commands, `pt/v1/${a.deviceId}/#`, "pt/v1/#"])).toEqual([
        1, 1, 0x80, 0x80, 0x80, 0x80,
      ]);
    } finally {
      await client.endAsync(true);
    }
  });

  it("delivers the service's payment topic to device A only, and pins each username to its own client id", async () => {
    const account = JSON.parse(readFileSync(join(out, "broker", "service.json"), "utf8")) as { username: string; password: string };
    const service = await connectAs(broker.url, account.username, account.password);
    const client = await connectAs(broker.url, a.deviceId, config(a, "pass") as string);
    try {
      await client.subscribeAsync(deviceTopics(a.deviceId).payments, { qos: 1 });
      const arrived = new Promise<string>((resolve) => client.once("message", (_topic, payload) => resolve(payload.toString())));
      await service.publishAsync(deviceTopics(a.deviceId).payments, Buffer.from("for A"), { qos: 1 });
      expect(await arrived).toBe("for A");
      const impostor = mqtt.connect(broker.url, { protocolVersion: 4, reconnectPeriod: 0, username: a.deviceId, password: config(a, "pass") as string, clientId: b.deviceId });
      const outcome = await new Promise<string>((resolve) => {
        impostor.once("connect", () => resolve("connected"));
        impostor.once("error", (error) => resolve(error.message));
      });
      await impostor.endAsync(true);
      expect(outcome).toMatch(/Not authorized/);
    } finally {
      await client.endAsync(true);
      await service.endAsync(true);
    }
  });
});

describe("a batch with client certificates (--tls) on mosquitto with the generated TLS settings", () => {
  let dir: string;
  let out: string;
  let broker: Mosquitto;
  let service: PaymentService;
  let booted: Booted;
  let a: Image;
  let b: Image;
  let ledgerDevices: { deviceId: string; mqtt: { certificate?: string; privateKey?: string } }[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "payterm-provision-tls-"));
    out = join(dir, "batch");
    const port = await freePort();
    await provision({
      out,
      count: 2,
      product: "soundbox",
      brokerUrl: `mqtts://127.0.0.1:${port}`,
      auth: "tls",
      serverNames: ["127.0.0.1"],
      rotate: false,
      partitionTable: { text: readFileSync(PARTITIONS, "utf8"), source: PARTITIONS },
      chip: "esp32",
      baud: 921600,
      keepalive: 30,
      certificateDays: 365,
      now: new Date(),
      progress: silentProgress,
    });
    const [first, second] = readBackendImport(readFileSync(join(out, "backend", "devices.json"), "utf8"), "devices.json");
    a = readImage(out, first.deviceId);
    b = readImage(out, second.deviceId);
    ledgerDevices = (JSON.parse(readFileSync(join(out, "provision.json"), "utf8")) as { devices: typeof ledgerDevices }).devices;
    broker = await Mosquitto.start([`user ${userInfo().username}`, readFileSync(join(out, "broker", "mosquitto.conf"), "utf8")].join("\n"), port);
    const registry = new Registry(join(dir, "state"));
    registry.importDevices(readBackendImport(readFileSync(join(out, "backend", "devices.json"), "utf8"), "devices.json"));
    const broker_ = (name: string) => readFileSync(join(out, "broker", name), "utf8");
    service = await PaymentService.connect(`mqtts://127.0.0.1:${port}`, (id) => registry.keyFor(id), {
      clientId: "payterm-service",
      tls: { ca: broker_("ca.crt"), cert: broker_("service.crt"), key: broker_("service.key") },
    });
    booted = await bootFromImage(a);
  });

  afterAll(async () => {
    booted?.stop();
    await service?.close();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("boots the firmware from its image: TLS to the broker with the image's CA, certificate and key, and announces a payment", async () => {
    const announced = booted.log.waitFor((e) => e.name === "announced");
    const fields = await service.publish({ deviceId: a.deviceId, amountMinor: 9900, currency: "INR", provider: "UPI" });
    expect(await service.waitForAck(fields.transactionId)).toMatchObject({ status: "announced", deviceId: a.deviceId });
    expect((await announced).fields.txn).toBe(fields.transactionId);
  });

  it("lets device B's certificate reach its own topics but delivers it nothing of A's", async () => {
    const mine = ledgerDevices.find((d) => d.deviceId === b.deviceId) as (typeof ledgerDevices)[number];
    const ca = readFileSync(join(out, "broker", "ca.crt"), "utf8");
    const client = mqtt.connect(broker.url.replace("mqtt:", "mqtts:"), {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: b.deviceId,
      ca,
      cert: mine.mqtt.certificate,
      key: mine.mqtt.privateKey,
    });
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
    const seen: string[] = [];
    client.on("message", (topic) => seen.push(topic));
    try {
      await client.subscribeAsync({ [`pt/v1/${a.deviceId}/#`]: { qos: 1 }, [deviceTopics(b.deviceId).payments]: { qos: 1 } });
      const fields = await service.publish({ deviceId: a.deviceId, amountMinor: 100, currency: "INR", provider: "UPI" });
      await service.waitForAck(fields.transactionId);
      const own = new Promise<void>((resolve) => client.on("message", (topic) => topic === deviceTopics(b.deviceId).payments && resolve()));
      await service.client.publishAsync(deviceTopics(b.deviceId).payments, Buffer.from("for B"), { qos: 1 });
      await own;
      expect(seen).toEqual([deviceTopics(b.deviceId).payments]);
    } finally {
      await client.endAsync(true);
    }
  });

  it("refuses a client whose certificate comes from another CA", async () => {
    const otherDir = mkdtempSync(join(tmpdir(), "payterm-provision-other-"));
    try {
      const impostor = TestCa.create(otherDir, "impostor").issue(a.deviceId);
      const client = mqtt.connect(broker.url.replace("mqtt:", "mqtts:"), {
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        clientId: `${a.deviceId}-x`,
        ca: readFileSync(join(out, "broker", "ca.crt"), "utf8"),
        cert: impostor.cert,
        key: impostor.key,
      });
      const outcome = await new Promise<string>((resolve) => {
        client.once("connect", () => resolve("connected"));
        client.once("error", (error) => resolve(`refused: ${error.message}`));
        client.once("close", () => resolve("refused: closed"));
      });
      await client.endAsync(true);
      expect(outcome).toMatch(/^refused/);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
