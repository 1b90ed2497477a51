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
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { provisionedDeviceId, provisionedProduct } from "../../firmware/config";
import { deviceTopics } from "../../firmware/protocol/topics";
import { PaymentService } from "../../host-sim/service/payment-service";
import type { Mosquitto } from "../support/mosquitto";
import { connectAs, connected, tryConnect } from "../support/mqtt-clients";
import { bootFromImage, configValue as config, ProvisionedBatch, type Booted, type Image } from "../support/provisioned-batch";
import { TestCa } from "../support/tls-certs";

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

/** The service pays device A; the firmware booted from A's image announces it and acks. */
async function paidAndAnnounced(booted: Booted, service: PaymentService, deviceId: string, amountMinor: number): Promise<void> {
  const announced = booted.log.waitFor((e) => e.name === "announced");
  const fields = await service.publish({ deviceId, amountMinor, currency: "INR", provider: "UPI" });
  expect(await service.waitForAck(fields.transactionId)).toMatchObject({ status: "announced", deviceId });
  expect((await announced).fields.txn).toBe(fields.transactionId);
}

/**
 * Device B's client subscribes to all of A's topics (and `extraTopics`); `meanwhile` runs, A is
 * paid, then a message goes to B's own payment topic, the control: B must see that one only.
 * mosquitto 2.0's acl_file grants every SUBSCRIBE and applies "read" when it delivers, so the
 * proof is that nothing else arrives (the dynamic-security variant refuses the subscription).
 */
async function seesOnlyItsOwn(client: mqtt.MqttClient, service: PaymentService, a: string, b: string, extraTopics: string[] = [], meanwhile = async () => {}): Promise<void> {
  const seen: string[] = [];
  client.on("message", (topic) => seen.push(topic));
  const subscriptions = Object.fromEntries([`pt/v1/${a}/#`, ...extraTopics, deviceTopics(b).payments].map((topic) => [topic, { qos: 1 as const }]));
  try {
    await client.subscribeAsync(subscriptions);
    await meanwhile();
    const fields = await service.publish({ deviceId: a, amountMinor: 1000, currency: "INR", provider: "UPI" });
    expect(await service.waitForAck(fields.transactionId)).toMatchObject({ status: "announced" });
    const own = new Promise<void>((resolve) => client.on("message", (topic) => topic === deviceTopics(b).payments && resolve()));
    await service.client.publishAsync(deviceTopics(b).payments, Buffer.from("for B"), { qos: 1 });
    await own;
    expect(seen).toEqual([deviceTopics(b).payments]);
  } finally {
    await client.endAsync(true);
  }
}

describe("provisioning round trip: NVS image -> simulated device -> mosquitto with the generated ACL and passwords", () => {
  let batch: ProvisionedBatch;
  let broker: Mosquitto;
  let service: PaymentService;
  let booted: Booted;
  let a: Image;
  let b: Image;

  beforeAll(async () => {
    batch = await ProvisionedBatch.make("provision", {
      merchantsCsv: "merchant_id,name,vpa,product\nM-001,Sharma Chai Corner,sharma.chai@okaxis,soundbox\nM-002,Patel Kirana,patel.kirana@ybl,soundbox\n",
    });
    const of = (merchant: string) => batch.devices.find((d) => d.merchantId === merchant)?.deviceId as string;
    a = batch.image(of("M-001"));
    b = batch.image(of("M-002"));
    broker = await batch.startMosquitto();
    const registry = batch.registry();
    const account = JSON.parse(batch.file("broker/service.json")) as { url: string; username: string; password: string };
    expect(account.url).toBe(broker.url);
    service = await PaymentService.connect(account.url, (id) => registry.keyFor(id), { clientId: account.username, username: account.username, password: account.password });

    booted = await bootFromImage(a);
  });

  afterAll(async () => {
    booted?.stop();
    await service?.close();
    await broker?.stop();
    batch?.remove();
  });

  it("made two devices with distinct identities, each image carrying its own id, product and credentials", () => {
    expect(batch.summary.created).toHaveLength(2);
    expect(provisionedDeviceId(a.kv)).toBe(a.deviceId);
    expect(provisionedProduct(a.kv)).toBe("soundbox");
    expect(a.deviceId).not.toBe(b.deviceId);
    expect(config(a, "user")).toBe(a.deviceId);
    expect(config(a, "pass")).not.toBe(config(b, "pass"));
    expect(config(a, "port")).toBe(broker.port);
    expect(config(a, "payee")).toBe("Sharma Chai Corner");
  });

  it("boots the firmware from the image: it connects with the image's credentials and announces a signed payment", async () => {
    await paidAndAnnounced(booted, service, a.deviceId, 25000);
  });

  it("refuses a wrong password (the control for the password file)", async () => {
    await expect(connectAs(broker.url, a.deviceId, "not-the-password")).rejects.toThrow(/Not authorized|Bad username or password/);
  });

  it("does not let device B read A's payments or status, nor forge a payment to A", async () => {
    const client = await connectAs(broker.url, b.deviceId, config(b, "pass") as string);
    await seesOnlyItsOwn(client, service, a.deviceId, b.deviceId, ["pt/v1/+/pay"], async () => {
      // A forged confirmation from B: the broker drops a publish the ACL does not allow.
      const rejected = booted.log.waitFor((e) => e.name === "received", 1500).then(
        () => "delivered",
        () => "not delivered",
      );
      await client.publishAsync(deviceTopics(a.deviceId).payments, Buffer.from("forged"), { qos: 1 });
      expect(await rejected).toBe("not delivered");
    });
  });
});

describe("the same batch on mosquitto's dynamic-security plugin (broker/mosquitto-dynsec.conf)", () => {
  let batch: ProvisionedBatch;
  let broker: Mosquitto;
  let a: Image;
  let b: Image;

  beforeAll(async () => {
    batch = await ProvisionedBatch.make("provision-dynsec", { count: 2, product: "soundbox" });
    const [first, second] = batch.devices;
    a = batch.image(first.deviceId);
    b = batch.image(second.deviceId);
    broker = await batch.startMosquitto("mosquitto-dynsec.conf");
  });

  afterAll(async () => {
    await broker?.stop();
    batch?.remove();
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
    const account = JSON.parse(batch.file("broker/service.json")) as { username: string; password: string };
    const service = await connectAs(broker.url, account.username, account.password);
    const client = await connectAs(broker.url, a.deviceId, config(a, "pass") as string);
    try {
      await client.subscribeAsync(deviceTopics(a.deviceId).payments, { qos: 1 });
      const arrived = new Promise<string>((resolve) => client.once("message", (_topic, payload) => resolve(payload.toString())));
      await service.publishAsync(deviceTopics(a.deviceId).payments, Buffer.from("for A"), { qos: 1 });
      expect(await arrived).toBe("for A");
      const outcome = await tryConnect(broker.url, { username: a.deviceId, password: config(a, "pass") as string, clientId: b.deviceId });
      expect(outcome).toMatch(/^refused: .*Not authorized/);
    } finally {
      await client.endAsync(true);
      await service.endAsync(true);
    }
  });
});

describe("a batch with client certificates (--tls) on mosquitto with the generated TLS settings", () => {
  let batch: ProvisionedBatch;
  let broker: Mosquitto;
  let service: PaymentService;
  let booted: Booted;
  let a: Image;
  let b: Image;
  let ledgerDevices: { deviceId: string; mqtt: { certificate?: string; privateKey?: string } }[];

  beforeAll(async () => {
    batch = await ProvisionedBatch.make("provision-tls", { count: 2, product: "soundbox", scheme: "mqtts", auth: "tls", serverNames: ["127.0.0.1"] });
    const [first, second] = batch.devices;
    a = batch.image(first.deviceId);
    b = batch.image(second.deviceId);
    ledgerDevices = (JSON.parse(batch.file("provision.json")) as { devices: typeof ledgerDevices }).devices;
    broker = await batch.startMosquitto();
    const registry = batch.registry();
    service = await PaymentService.connect(`mqtts://127.0.0.1:${batch.port}`, (id) => registry.keyFor(id), {
      clientId: "payterm-service",
      tls: { ca: batch.file("broker/ca.crt"), cert: batch.file("broker/service.crt"), key: batch.file("broker/service.key") },
    });
    booted = await bootFromImage(a);
  });

  afterAll(async () => {
    booted?.stop();
    await service?.close();
    await broker?.stop();
    batch?.remove();
  });

  it("boots the firmware from its image: TLS to the broker with the image's CA, certificate and key, and announces a payment", async () => {
    await paidAndAnnounced(booted, service, a.deviceId, 9900);
  });

  it("lets device B's certificate reach its own topics but delivers it nothing of A's", async () => {
    const mine = ledgerDevices.find((d) => d.deviceId === b.deviceId) as (typeof ledgerDevices)[number];
    const client = await connected(
      mqtt.connect(broker.url.replace("mqtt:", "mqtts:"), {
        protocolVersion: 4,
        reconnectPeriod: 0,
        clientId: b.deviceId,
        ca: batch.file("broker/ca.crt"),
        cert: mine.mqtt.certificate,
        key: mine.mqtt.privateKey,
      }),
    );
    await seesOnlyItsOwn(client, service, a.deviceId, b.deviceId);
  });

  it("refuses a client whose certificate comes from another CA", async () => {
    const otherDir = mkdtempSync(join(tmpdir(), "payterm-provision-other-"));
    try {
      const impostor = TestCa.create(otherDir, "impostor").issue(a.deviceId);
      const outcome = await tryConnect(broker.url.replace("mqtt:", "mqtts:"), {
        clientId: `${a.deviceId}-x`,
        ca: batch.file("broker/ca.crt"),
        cert: impostor.cert,
        key: impostor.key,
      });
      expect(outcome).toMatch(/^refused/);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
