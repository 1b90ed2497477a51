/**
 * `payterm release publish` through the broker as provisioning secures it: a provisioned batch,
 * a private mosquitto with the ACL and password file it wrote (then, with client certificates,
 * its TLS listener and CA), a simulated soundbox booted from its NVS image (broker, credentials,
 * release key all from the image), and the operator publishing a signed firmware image with the
 * release account provisioning made. The device downloads, verifies, switches and confirms. The
 * wrong password, or a certificate from another CA, is refused with exit 3 and nothing is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BROKER_PASSWORD_ENV, EXIT_BROKER } from "../../host-sim/cli/release";
import { SimDevice } from "../../host-sim/device/sim-device";
import { FileKv } from "../../host-sim/hal/file-kv";
import { loadNvsIntoKv } from "../../host-sim/provision/nvs/kv-image";
import { generateReleaseKey, loadReleasePrivateKey, type ReleaseKeyFiles } from "../../host-sim/release/keys";
import { signRelease } from "../../host-sim/release/sign";
import { buildSimImage } from "../../host-sim/release/sim-image";
import type { Mosquitto } from "../support/mosquitto";
import { TestCa } from "../support/tls-certs";
import { runCli } from "../support/cli";
import { connectAs } from "../support/mqtt-clients";
import { ProvisionedBatch, type BatchRequest } from "../support/provisioned-batch";

const IMAGE_BYTES = 96 * 1024;

interface Rig {
  batch: ProvisionedBatch;
  broker: Mosquitto;
  device: SimDevice;
  keys: ReleaseKeyFiles;
  /** The operator's own files (release key, an impostor's certificate), apart from the batch. */
  operator: string;
}

/** Provisions one soundbox with the operator's release key, starts mosquitto on what provisioning wrote, boots the device from its image. */
async function rig(name: string, request: BatchRequest, configuration: "mosquitto.conf" | "mosquitto-dynsec.conf" = "mosquitto.conf"): Promise<Rig> {
  const operator = mkdtempSync(join(tmpdir(), `payterm-${name}-operator-`));
  const keys = generateReleaseKey(join(operator, "keys"));
  const batch = await ProvisionedBatch.make(name, { ...request, count: 1, product: "soundbox", releaseKey: new Uint8Array(Buffer.from(keys.publicKeyHex, "hex")) });
  const broker = await batch.startMosquitto(configuration);
  const [provisioned] = batch.devices;
  const stateDir = join(batch.dir, "sim");
  mkdirSync(stateDir, { recursive: true });
  loadNvsIntoKv(new Uint8Array(readFileSync(join(batch.out, "devices", provisioned.deviceId, "nvs.bin"))), new FileKv(join(stateDir, `${provisioned.deviceId}.nvs.json`)));
  const device = new SimDevice({
    deviceId: provisioned.deviceId,
    product: "soundbox",
    // Nowhere: only the image's own broker settings can get the device connected.
    broker: { host: "unprovisioned.invalid", port: 1 },
    language: provisioned.language,
    key: { keyId: provisioned.keyId, key: new Uint8Array(Buffer.from(provisioned.keyHex, "hex")) },
    stateDir,
  });
  const subscribed = device.log.waitFor((e) => e.name === "subscribed", 15_000);
  device.start();
  await subscribed;
  return { batch, broker, device, keys, operator };
}

async function dismantle(r: Rig | undefined): Promise<void> {
  if (!r) return;
  r.device.stop();
  await r.broker.stop();
  r.batch.remove();
  rmSync(r.operator, { recursive: true, force: true });
}

/** A signed simulator image of `version`, as files the operator would hand to publish. */
function release(r: Rig, version: string): { manifest: string; image: string } {
  const image = buildSimImage({ version, product: "soundbox" }, IMAGE_BYTES);
  const signed = signRelease({ image, kind: "firmware", product: "soundbox", version, minVersion: "0.1.0" }, loadReleasePrivateKey(r.keys.privateKeyPath));
  const paths = { manifest: join(r.batch.dir, `${version}.manifest`), image: join(r.batch.dir, `${version}.img`) };
  writeFileSync(paths.image, image);
  writeFileSync(paths.manifest, signed.manifest.signed);
  return paths;
}

function publishArgs(r: Rig, files: { manifest: string; image: string }, credentials: string[]): string[] {
  return [
    "release", "publish",
    "--manifest", files.manifest,
    "--image", files.image,
    "--device", r.device.options.deviceId,
    "--devices", join(r.batch.out, "backend", "devices.json"),
    "--public-key", r.keys.publicHexPath,
    "--broker", JSON.parse(r.batch.file("broker/release.json")).url,
    "--timeout", "60",
    ...credentials,
  ];
}


function confirmedVersions(device: SimDevice): unknown[] {
  return device.log.events.filter((e) => e.name === "update-confirmed").map((e) => e.fields.version);
}

describe("release publish through mosquitto with provisioning's ACL and password file", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("release-secured", {});
  });

  afterAll(() => dismantle(r));

  it("takes credentials only in consistent sets (exit 2 with the reason)", async () => {
    const files = release(r, "0.1.4");
    for (const [credentials, reason] of [
      [["--password", "x"], /--password and --password-file need --username/],
      [["--username", "payterm-release"], /--username needs a password/],
      [["--username", "u", "--password", "x", "--password-file", "f"], /--password or --password-file, not both/],
      [["--cert", "c.crt"], /--cert and --key go together/],
      [["--username", "u", "--password-file", join(r.operator, "missing")], /cannot read the password file/],
    ] as const) {
      const result = await runCli(...publishArgs(r, files, [...credentials]));
      expect([credentials, result.code]).toEqual([credentials, 2]);
      expect(result.err).toMatch(reason);
    }
  });

  it("refuses a wrong password (from the environment) with exit 3 and a clear message; nothing reaches the device", async () => {
    const account = JSON.parse(r.batch.file("broker/release.json")) as { username: string };
    process.env[BROKER_PASSWORD_ENV] = "not-the-password";
    try {
      const result = await runCli(...publishArgs(r, release(r, "0.1.5"), ["--username", account.username]));
      expect(result.code).toBe(EXIT_BROKER);
      expect(result.err).toMatch(/the broker refused the credentials of payterm-release .*Not authorized.*nothing was sent/);
    } finally {
      delete process.env[BROKER_PASSWORD_ENV];
    }
    expect(r.device.log.events.some((e) => e.name.startsWith("update-"))).toBe(false);
  });

  it("publishes as the release account (password from provisioning's file): the device verifies, installs and confirms", async () => {
    const account = JSON.parse(r.batch.file("broker/release.json")) as { username: string; passwordFile: string };
    const result = await runCli(...publishArgs(r, release(r, "0.2.0"), ["--username", account.username, "--password-file", join(r.batch.out, "broker", account.passwordFile)]));
    expect(result.err).toBe("");
    expect(result.out).toMatch(/ confirmed /);
    expect(result.out).toContain(`{"deviceId":"${r.device.options.deviceId}","outcome":"updated","firmware":"0.2.0"}`);
    expect(result.code).toBe(0);
    expect(confirmedVersions(r.device)).toEqual(["0.2.0"]);
    // The boot record as the next power-on reads it: the new slot, trial over.
    const record = JSON.parse(readFileSync(join(r.batch.dir, "sim", `${r.device.options.deviceId}.update`, "otadata.json"), "utf8"));
    expect(record).toMatchObject({ slot: 1, trial: false });
  });

  it("gives the release account nothing but update traffic: no payments or acks reach it", async () => {
    const release = JSON.parse(r.batch.file("broker/release.json")) as { username: string; passwordFile: string };
    const service = JSON.parse(r.batch.file("broker/service.json")) as { username: string; password: string };
    const operator = await connectAs(r.broker.url, release.username, readFileSync(join(r.batch.out, "broker", release.passwordFile), "utf8").trim());
    const payer = await connectAs(r.broker.url, service.username, service.password);
    const seen: string[] = [];
    operator.on("message", (topic) => seen.push(topic));
    try {
      const id = r.device.options.deviceId;
      await operator.subscribeAsync({ "pt/v1/+/pay": { qos: 1 }, "pt/v1/+/ack": { qos: 1 }, "pt/v1/+/status": { qos: 1 } });
      await payer.publishAsync(`pt/v1/${id}/pay`, Buffer.from("not for the operator"), { qos: 1 });
      // The control, after the payment: the device's retained update state does reach it.
      const control = new Promise<void>((resolve) => operator.on("message", (topic) => topic === `pt/v1/${id}/upd/state` && resolve()));
      await operator.subscribeAsync(`pt/v1/${id}/upd/state`, { qos: 1 });
      await control;
      expect(seen).toEqual([`pt/v1/${id}/upd/state`]);
    } finally {
      await operator.endAsync(true);
      await payer.endAsync(true);
    }
  });
});

describe("release publish through mosquitto's dynamic-security plugin (broker/mosquitto-dynsec.conf)", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("release-secured-dynsec", {}, "mosquitto-dynsec.conf");
  });

  afterAll(() => dismantle(r));

  it("the release role's topic patterns grant the publisher its subscriptions: the device installs and confirms", async () => {
    const account = JSON.parse(r.batch.file("broker/release.json")) as { username: string; passwordFile: string };
    const result = await runCli(...publishArgs(r, release(r, "0.2.0"), ["--username", account.username, "--password-file", join(r.batch.out, "broker", account.passwordFile)]));
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(confirmedVersions(r.device)).toEqual(["0.2.0"]);
  });
});

describe("release publish over mosquitto's TLS listener with the release account's client certificate", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("release-secured-tls", { scheme: "mqtts", auth: "tls", serverNames: ["127.0.0.1"] });
  });

  afterAll(() => dismantle(r));

  const certificateArgs = (cert: string, key: string) => ["--ca", join(r.batch.out, "broker", "ca.crt"), "--cert", cert, "--key", key];

  it("refuses a certificate from another CA with exit 3", async () => {
    const impostor = TestCa.create(r.operator, "impostor").issue("payterm-release");
    const cert = join(r.operator, "impostor.crt");
    const key = join(r.operator, "impostor.key");
    writeFileSync(cert, impostor.cert);
    writeFileSync(key, impostor.key);
    const result = await runCli(...publishArgs(r, release(r, "0.1.5"), certificateArgs(cert, key)));
    expect(result.code).toBe(EXIT_BROKER);
    expect(result.err).toMatch(/could not connect to the broker|refused/);
    expect(r.device.log.events.some((e) => e.name.startsWith("update-"))).toBe(false);
  });

  it("publishes with release.crt and release.key: the device, on TLS with its own certificate, installs and confirms", async () => {
    const broker = (name: string) => join(r.batch.out, "broker", name);
    const result = await runCli(...publishArgs(r, release(r, "0.2.0"), certificateArgs(broker("release.crt"), broker("release.key"))));
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(confirmedVersions(r.device)).toEqual(["0.2.0"]);
  });
});
