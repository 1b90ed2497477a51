/**
 * MQTT over TLS with per-device client certificates, on a private mosquitto: the broker requires a
 * certificate from the fleet CA and takes the certificate's common name as the MQTT username, and
 * an ACL keeps each device to its own topics. The soundbox firmware connects through the host
 * transport with its certificate and announces a payment; clients without one are refused.
 *
 * The firmware does not yet pass TLS material itself (firmware/device.ts builds connect options
 * without `tls`), so the test hands it a transport that adds the material to every connect.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import type { Hal, MqttConnectOptions, MqttHandlers, MqttTls, MqttTransport, QoS } from "../../hal/index";
import { startDevice, type Device } from "../../firmware/device";
import { Keyring } from "../../firmware/payments/keyring";
import { VoicePack } from "../../host-sim/audio/voice-pack";
import { EventLog } from "../../host-sim/device/event-log";
import { FileKv } from "../../host-sim/hal/file-kv";
import { MqttJsTransport } from "../../host-sim/hal/mqttjs-transport";
import { nodeClock, NodeTimers } from "../../host-sim/hal/node-clock";
import { nodeCrypto } from "../../host-sim/hal/node-crypto";
import { MemoryNetwork, MemoryPower } from "../../hal/memory/peripherals";
import { SimButtons } from "../../host-sim/hal/panel";
import { RecordingAudio } from "../../host-sim/hal/recording-audio";
import { PaymentService } from "../../host-sim/service/payment-service";
import { Mosquitto } from "../support/mosquitto";
import { TestCa, type Pem } from "../support/tls-certs";

const DEVICE = "soundbox-tls-1";
const SERVICE = "payment-service";

/** Adds the device's TLS material to every connect, as a TLS-aware firmware would. */
class TlsTransport implements MqttTransport {
  constructor(private readonly inner: MqttTransport, private readonly tls: MqttTls) {}
  connect(options: MqttConnectOptions, handlers: MqttHandlers): void {
    this.inner.connect({ ...options, tls: this.tls }, handlers);
  }
  subscribe(topic: string, qos: QoS): void {
    this.inner.subscribe(topic, qos);
  }
  publish(topic: string, payload: Uint8Array, options: { qos: QoS; retain: boolean }): void {
    this.inner.publish(topic, payload, options);
  }
  disconnect(): void {
    this.inner.disconnect();
  }
}

/** "connected", or why the broker would not have the client. */
async function tryConnect(url: string, options: mqtt.IClientOptions): Promise<string> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options });
  const outcome = await new Promise<string>((resolve) => {
    client.once("connect", () => resolve("connected"));
    client.once("error", (error) => resolve(`refused: ${error.message}`));
    client.once("close", () => resolve("refused: connection closed"));
  });
  await client.endAsync(true);
  return outcome;
}

describe("MQTT over TLS with per-device client certificates (private mosquitto)", () => {
  let dir: string;
  let ca: TestCa;
  let deviceCert: Pem;
  let broker: Mosquitto;
  let url: string;
  let service: PaymentService;
  let device: Device;
  let timers: NodeTimers;
  let audio: RecordingAudio;
  const log = new EventLog(DEVICE);
  const key = { keyId: "k1", key: new Uint8Array(randomBytes(32)) };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "payterm-tls-"));
    ca = TestCa.create(dir);
    const server = ca.issue("localhost", ["IP:127.0.0.1", "DNS:localhost"]);
    deviceCert = ca.issue(DEVICE);
    const serviceCert = ca.issue(SERVICE);
    const acl = join(dir, "acl");
    writeFileSync(acl, `user ${SERVICE}\ntopic readwrite pt/v1/#\n\npattern readwrite pt/v1/%u/#\n`);
    broker = await Mosquitto.start(
      [
        // Started as root, mosquitto drops to its own user before reading the certificates, which
        // live in a private temporary directory: it stays the user that made them.
        `user ${userInfo().username}`,
        "allow_anonymous false",
        `cafile ${ca.ca.certFile}`,
        `certfile ${server.certFile}`,
        `keyfile ${server.keyFile}`,
        "require_certificate true",
        "use_identity_as_username true",
        `acl_file ${acl}`,
        "",
      ].join("\n"),
    );
    url = `mqtts://127.0.0.1:${broker.port}`;
    service = await PaymentService.connect(url, (id) => (id === DEVICE ? key : undefined), {
      clientId: SERVICE,
      tls: { ca: ca.ca.cert, cert: serviceCert.cert, key: serviceCert.key },
    });

    const kv = new FileKv();
    new Keyring(kv).put(key.keyId, key.key);
    timers = new NodeTimers();
    audio = new RecordingAudio(new VoicePack("en-in"), () => {});
    const hal: Hal = {
      clock: nodeClock,
      timers,
      kv,
      mqtt: new TlsTransport(new MqttJsTransport(), { ca: ca.ca.cert, cert: deviceCert.cert, key: deviceCert.key }),
      crypto: nodeCrypto,
      buttons: new SimButtons(["power"]),
      power: new MemoryPower(),
      network: new MemoryNetwork(),
      system: { deviceId: DEVICE, product: "soundbox", firmwareVersion: "0.1.0-test", freeHeap: () => 0, restart: () => {} },
      log,
      audio,
    };
    const connected = log.waitFor((e) => e.name === "connected", 10_000);
    device = startDevice(hal, { brokerHost: "127.0.0.1", brokerPort: broker.port, brokerTls: true, language: "en-in", keepalive: 30 });
    await connected;
  });

  afterAll(async () => {
    device?.stop();
    audio?.flush();
    timers?.clearAll();
    await service?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers a payment to the soundbox over TLS, authenticated by its certificate", async () => {
    const announced = log.waitFor((e) => e.name === "announced");
    const fields = await service.publish({ deviceId: DEVICE, amountMinor: 25000, currency: "INR", provider: "UPI" });
    expect(await service.waitForAck(fields.transactionId)).toMatchObject({ status: "announced", deviceId: DEVICE });
    expect((await announced).fields.txn).toBe(fields.transactionId);
    expect(service.delivery(fields.transactionId)).toMatchObject({ state: "announced", attempts: 1 });
  });

  it("refuses a client without a certificate", async () => {
    const outcome = await tryConnect(url, { ca: ca.ca.cert, clientId: "no-cert" });
    // Under TLS 1.3 the broker's alert is "certificate required".
    expect(outcome).toMatch(/^refused: .*certificate required/);
  });

  it("refuses a client whose certificate comes from another CA", async () => {
    const otherDir = mkdtempSync(join(tmpdir(), "payterm-tls-other-"));
    try {
      const impostor = TestCa.create(otherDir, "impostor-ca").issue(DEVICE);
      expect(await tryConnect(url, { ca: ca.ca.cert, cert: impostor.cert, key: impostor.key, clientId: DEVICE + "-x" })).toMatch(/^refused/);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it("accepts the device's own certificate from a bare client (the control for the two refusals)", async () => {
    expect(await tryConnect(url, { ca: ca.ca.cert, cert: deviceCert.cert, key: deviceCert.key, clientId: "probe" })).toBe("connected");
  });
});
