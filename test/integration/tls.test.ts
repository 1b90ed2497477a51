/**
 * MQTT over TLS with per-device client certificates, on a private mosquitto: the broker requires a
 * certificate from the fleet CA and takes the certificate's common name as the MQTT username, and
 * an ACL keeps each device to its own topics. The soundbox firmware connects with its certificate
 * and announces a payment; clients without one are refused.
 *
 * The device gets everything from its own config, as provisioning leaves it: the broker URL
 * (mqtts://...) and references to TLS material in its NVS "tls" domain, the CA and the key as DER
 * (as a factory tool would write them), the certificate as PEM. The host transport is the plain one.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { TLS_DOMAIN } from "../../firmware/broker";
import type { DeviceDefaults } from "../../firmware/config";
import { startDevice, type Device } from "../../firmware/device";
import { Keyring } from "../../firmware/payments/keyring";
import { VoicePack } from "../../host-sim/audio/voice-pack";
import { EventLog } from "../../host-sim/device/event-log";
import { FileKv } from "../../host-sim/hal/file-kv";
import { NodeTimers } from "../../host-sim/hal/node-clock";
import { RecordingAudio } from "../../host-sim/hal/recording-audio";
import { PaymentService } from "../../host-sim/service/payment-service";
import { soundboxHal } from "../support/host-hal";
import { Mosquitto } from "../support/mosquitto";
import { tryConnect } from "../support/mqtt-clients";
import { TestCa, type Pem } from "../support/tls-certs";

const DEVICE = "soundbox-tls-1";
const SERVICE = "payment-service";

const der = {
  cert: (pem: string) => new X509Certificate(pem).raw,
  key: (pem: string) => createPrivateKey(pem).export({ format: "der", type: "pkcs8" }),
};

const arrayBuffer = (bytes: Buffer) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** What provisioning writes: the TLS material in NVS, and the config that points at it. */
function provision(kv: FileKv, ca: string, cert: Pem, port: number): DeviceDefaults {
  kv.set(TLS_DOMAIN, "ca", arrayBuffer(der.cert(ca)));
  kv.set(TLS_DOMAIN, "cert", cert.cert);
  kv.set(TLS_DOMAIN, "key", arrayBuffer(der.key(cert.key)));
  return {
    brokerHost: "unused.example",
    brokerPort: 1,
    brokerTls: false,
    brokerUrl: `mqtts://127.0.0.1:${port}`,
    tlsCa: "nvs:ca",
    tlsCert: "nvs:cert",
    tlsKey: "nvs:key",
    language: "en-in",
    keepalive: 30,
  };
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
    audio = new RecordingAudio({ clips: new VoicePack("en-in"), onSound: () => {} });
    const connected = log.waitFor((e) => e.name === "connected", 10_000);
    device = startDevice(soundboxHal(DEVICE, kv, timers, log, audio), provision(kv, ca.ca.cert, deviceCert, broker.port));
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

  it("a device whose configured CA is not the broker's refuses the broker and never connects", async () => {
    const otherDir = mkdtempSync(join(tmpdir(), "payterm-tls-ca-"));
    const impostorLog = new EventLog("soundbox-tls-2");
    const impostorTimers = new NodeTimers();
    let impostor: Device | undefined;
    try {
      const wrongCa = TestCa.create(otherDir, "wrong-ca");
      const kv = new FileKv();
      const defaults = provision(kv, wrongCa.ca.cert, ca.issue("soundbox-tls-2"), broker.port);
      const refused = impostorLog.waitFor((e) => e.name === "disconnected", 10_000);
      impostor = startDevice(soundboxHal("soundbox-tls-2", kv, impostorTimers, impostorLog), defaults);
      expect(String((await refused).fields.reason)).toMatch(/self[- ]signed|unable to verify|certificate/i);
      expect(impostorLog.events.some((e) => e.name === "connected")).toBe(false);
    } finally {
      impostor?.stop();
      impostorTimers.clearAll();
      rmSync(otherDir, { recursive: true, force: true });
    }
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
