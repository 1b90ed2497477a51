/**
 * payterm release: the operator's tools for signed updates (docs/manufacturing.md, "Updates").
 *
 *   keygen       a P-256 release key pair; the public point goes to every device (config/updKey)
 *   voice-image  a voice-pack image from a built pack (build/voice/<lang>/), as devices keep it on flash
 *   sign         a signed manifest for an image (firmware or voice pack)
 *   publish      the update command to devices, then their chunks over MQTT until each reports back,
 *                as the operator's broker account (password or client certificate) where the broker
 *                is secured; exit 3 when the broker refuses or cannot be reached
 *   sim-image    a firmware image the simulator can boot (version, product, optional fault)
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Product } from "../../hal/system";
import { fromHex, toHex } from "../../firmware/protocol/bytes";
import { CHUNK_SIZES, type UpdateKind } from "../../firmware/update/manifest";
import { parseVersion } from "../../firmware/update/version";
import { BrokerConnectError, type BrokerAuth } from "../broker-auth";
import { readBackendImport } from "../provision/backend";
import { Registry } from "../registry";
import type { DeviceKey } from "../service/confirmation";
import { generateReleaseKey, loadReleasePrivateKey, releaseKeyDir, releaseKeyPaths, ReleaseKeyError } from "../release/keys";
import { publishRelease, type DeviceOutcome } from "../release/publish";
import type { DeviceUpdateState } from "../release/server";
import { DEFAULT_CHUNK_SIZE, openRelease, ReleaseError, signRelease } from "../release/sign";
import { buildSimImage, DEFAULT_SIM_IMAGE_BYTES, SIM_FAULTS, type SimFault } from "../release/sim-image";
import { buildVoiceImage, checkVoiceImage, VoiceImageError } from "../release/voice-image";
import { VOICE_BUILD_DIR } from "../audio/voice-pack";
import { integerArg, parseFlags, UsageError } from "./args";
import type { Command } from "./command";
import { DEFAULT_STATE_DIR, runningBrokerUrl } from "./state-dir";

const PRODUCTS: readonly Product[] = ["soundbox", "qr-display"];
const KINDS: readonly UpdateKind[] = ["firmware", "voice-pack"];
const DEFAULT_TIMEOUT_S = 600;
/** Where `publish` reads the broker password when neither --password nor --password-file gives it. */
export const BROKER_PASSWORD_ENV = "PAYTERM_BROKER_PASSWORD";
/** `publish`'s exit code when the broker refuses the credentials or cannot be reached. */
export const EXIT_BROKER = 3;

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new UsageError(`--${flag} is required`);
  return value;
}

function version(value: string | undefined, flag: string): string {
  const text = required(value, flag);
  if (!parseVersion(text)) throw new UsageError(`--${flag} must be a semantic version (1.2.3, 1.2.3-rc.1), got ${JSON.stringify(text)}`);
  return text;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T {
  const found = allowed.find((candidate) => candidate === value);
  if (!found) throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  return found;
}

function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** A public key given as a file of hex (release.pub.hex) or the hex itself. */
function publicKey(value: string): Uint8Array {
  const text = existsSync(value) ? readFileSync(value, "utf8").trim() : value.trim();
  const key = fromHex(text);
  if (!key || key.length !== 65 || key[0] !== 0x04) throw new UsageError(`--public-key must be (a file holding) the 65-byte uncompressed P-256 point in hex`);
  return key;
}

function readText(path: string, what: string): string {
  return new TextDecoder().decode(readInput(path, what));
}

/**
 * The broker credentials from the flags. The password may come from a file or the environment,
 * so it need not appear in the process list or the shell's history.
 */
function brokerAuth(o: { username?: string; password?: string; "password-file"?: string; ca?: string; cert?: string; key?: string }): BrokerAuth {
  if (o.password !== undefined && o["password-file"] !== undefined) throw new UsageError("give --password or --password-file, not both");
  let password = o.password;
  if (o["password-file"] !== undefined) password = readText(o["password-file"], "password file").replace(/\r?\n$/, "");
  if (password !== undefined && o.username === undefined) throw new UsageError("--password and --password-file need --username");
  if (o.username !== undefined) password ??= process.env[BROKER_PASSWORD_ENV];
  if (o.username !== undefined && password === undefined && o.cert === undefined)
    throw new UsageError(`--username needs a password: --password-file FILE, ${BROKER_PASSWORD_ENV}, or --password`);
  if ((o.cert === undefined) !== (o.key === undefined)) throw new UsageError("--cert and --key go together (the client certificate and its private key, PEM)");
  const auth: BrokerAuth = {};
  if (o.username !== undefined) auth.username = o.username;
  if (password !== undefined) auth.password = password;
  if (o.ca !== undefined || o.cert !== undefined) {
    auth.tls = {};
    if (o.ca !== undefined) auth.tls.ca = readText(o.ca, "CA certificate");
    if (o.cert !== undefined && o.key !== undefined) {
      auth.tls.cert = readText(o.cert, "client certificate");
      auth.tls.key = readText(o.key, "client key");
    }
  }
  return auth;
}

interface DeviceDirectory {
  /** Where the devices and their keys came from, for messages. */
  source: string;
  devices: readonly { deviceId: string; product: Product }[];
  keyFor(deviceId: string): DeviceKey | undefined;
}

/** The devices and their keys: provisioning's backend import (--devices), or the simulator's registry. */
function deviceDirectory(devicesFile: string | undefined, stateDir: string): DeviceDirectory {
  if (devicesFile === undefined) {
    const registry = new Registry(stateDir);
    return { source: registry.path, devices: registry.devices, keyFor: (id) => registry.keyFor(id) };
  }
  let devices;
  try {
    devices = readBackendImport(readText(devicesFile, "backend import"), devicesFile);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--devices: ${(error as Error).message}`);
  }
  const byId = new Map(devices.map((d) => [d.deviceId, d]));
  return {
    source: devicesFile,
    devices,
    keyFor: (id) => {
      const device = byId.get(id);
      return device && { keyId: device.keyId, key: new Uint8Array(Buffer.from(device.keyHex, "hex")) };
    },
  };
}

async function keygen(args: string[]): Promise<number> {
  const o = parseFlags(args, { out: { type: "string" }, name: { type: "string", default: "release" }, force: { type: "boolean", default: false } });
  const dir = required(o.out, "out");
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(o.name)) throw new UsageError(`--name must be 1-64 of [A-Za-z0-9._-], got ${JSON.stringify(o.name)}`);
  try {
    const files = generateReleaseKey(dir, { name: o.name, force: o.force });
    console.log(JSON.stringify(files, null, 1));
  } catch (error) {
    if (error instanceof ReleaseKeyError) throw new UsageError(error.message);
    throw error;
  }
  return 0;
}

async function sign(args: string[]): Promise<number> {
  const o = parseFlags(args, {
    key: { type: "string" },
    image: { type: "string" },
    version: { type: "string" },
    "min-version": { type: "string" },
    product: { type: "string" },
    kind: { type: "string", default: "firmware" },
    lang: { type: "string" },
    chunk: { type: "string" },
    out: { type: "string" },
  });
  const keyPath = required(o.key, "key");
  const imagePath = required(o.image, "image");
  const releaseVersion = version(o.version, "version");
  const minVersion = version(o["min-version"], "min-version");
  const product = oneOf(o.product, PRODUCTS, "product");
  const kind = oneOf(o.kind, KINDS, "kind");
  if (kind === "voice-pack" && !o.lang) throw new UsageError("--lang is required for a voice pack");
  if (kind === "firmware" && o.lang) throw new UsageError("--lang is for voice packs only");
  const chunkSize = integerArg(o.chunk, "--chunk", 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_CHUNK_SIZE;
  if (!CHUNK_SIZES.includes(chunkSize)) throw new UsageError(`--chunk must be one of ${CHUNK_SIZES.join(", ")}`);
  let privateKey;
  try {
    privateKey = loadReleasePrivateKey(keyPath);
  } catch (error) {
    if (error instanceof ReleaseKeyError) throw new UsageError(error.message);
    throw error;
  }
  const image = readInput(imagePath, "image");
  if (kind === "voice-pack") {
    try {
      checkVoiceImage(image, { language: o.lang as string, version: releaseVersion });
    } catch (error) {
      if (error instanceof VoiceImageError) throw new UsageError(`${imagePath}: ${error.message} (make one with payterm release voice-image)`);
      throw error;
    }
  }
  let release;
  try {
    release = signRelease({ image, kind, product, version: releaseVersion, minVersion, language: o.lang, chunkSize }, privateKey);
  } catch (error) {
    if (error instanceof ReleaseError) throw new UsageError(error.message);
    throw error;
  }
  const out = o.out ?? `${imagePath}.manifest`;
  writeFileSync(out, release.manifest.signed);
  const m = release.manifest;
  console.log(
    JSON.stringify(
      { manifest: out, releaseId: m.releaseId, kind: m.kind, product: m.product, version: m.version, minVersion: m.minVersion, language: m.language, size: m.size, sha256: toHex(m.sha256), chunkSize: m.chunkSize, blockSize: m.blockSize, blocks: release.table.length / 32 },
      null,
      1,
    ),
  );
  return 0;
}

function progressLine(state: DeviceUpdateState): string {
  const where = state.offset !== undefined && state.size ? ` ${state.offset}/${state.size}` : "";
  const why = state.reason ? ` ${state.reason}${state.detail ? ` (${state.detail})` : ""}` : "";
  return `${state.deviceId} ${state.stage}${where}${why} fw=${state.firmware ?? "?"}`;
}

async function publish(args: string[]): Promise<number> {
  const o = parseFlags(args, {
    manifest: { type: "string" },
    image: { type: "string" },
    broker: { type: "string" },
    state: { type: "string" },
    devices: { type: "string" },
    device: { type: "string", multiple: true },
    all: { type: "boolean", default: false },
    "public-key": { type: "string" },
    timeout: { type: "string" },
    username: { type: "string" },
    password: { type: "string" },
    "password-file": { type: "string" },
    ca: { type: "string" },
    cert: { type: "string" },
    key: { type: "string" },
  });
  const stateDir = o.state ?? DEFAULT_STATE_DIR;
  const signed = readInput(required(o.manifest, "manifest"), "manifest");
  const image = readInput(required(o.image, "image"), "image");
  const devices = o.device ?? [];
  if (o.all === devices.length > 0) throw new UsageError("give either --device ID (one or more) or --all");
  const timeoutMs = (integerArg(o.timeout, "--timeout (seconds)", 1, 86_400) ?? DEFAULT_TIMEOUT_S) * 1000;
  const auth = brokerAuth(o);
  const keyFile = o["public-key"] ?? releaseKeyPaths(releaseKeyDir(stateDir)).publicHexPath;
  if (!o["public-key"] && !existsSync(keyFile)) throw new UsageError(`no operator public key at ${keyFile}; pass --public-key`);
  let release;
  try {
    release = openRelease(signed, image, publicKey(keyFile));
  } catch (error) {
    if (error instanceof ReleaseError) throw new UsageError(error.message);
    throw error;
  }
  const directory = deviceDirectory(o.devices, stateDir);
  const targets = o.all ? directory.devices.filter((d) => d.product === release.manifest.product).map((d) => d.deviceId) : devices;
  if (targets.length === 0) throw new UsageError(`no ${release.manifest.product} devices in ${directory.source}`);
  for (const id of targets) if (!directory.keyFor(id)) throw new UsageError(`device ${id} is not in ${directory.source}`);
  const brokerUrl = o.broker ?? runningBrokerUrl(stateDir);
  const m = release.manifest;
  const as = auth.username ?? (auth.tls?.cert ? "client certificate" : undefined);
  console.log(`publishing ${m.kind} ${m.version} (release ${m.releaseId}, ${m.size} bytes) to ${targets.length} device(s) via ${brokerUrl}${as ? ` as ${as}` : ""}`);
  let outcomes: DeviceOutcome[];
  try {
    outcomes = await publishRelease({
      brokerUrl,
      auth,
      release,
      devices: targets,
      keyFor: (id) => directory.keyFor(id),
      timeoutMs,
      onState: (state) => console.log(progressLine(state)),
    });
  } catch (error) {
    if (!(error instanceof BrokerConnectError)) throw error;
    const why = error.refused ? `the broker refused ${as ? `the credentials of ${as}` : "a client without credentials"}` : "could not connect to the broker";
    console.error(`payterm release publish: ${why} (${error.message}); nothing was sent`);
    return EXIT_BROKER;
  }
  for (const outcome of outcomes) console.log(JSON.stringify(outcome));
  const updated = outcomes.filter((x) => x.outcome === "updated").length;
  console.log(`${updated} of ${outcomes.length} updated`);
  return updated === outcomes.length ? 0 : 1;
}

async function simImage(args: string[]): Promise<number> {
  const o = parseFlags(args, { version: { type: "string" }, product: { type: "string" }, fault: { type: "string" }, size: { type: "string" }, out: { type: "string" } });
  const header = { version: version(o.version, "version"), product: oneOf(o.product, PRODUCTS, "product") };
  const fault = o.fault === undefined ? undefined : oneOf(o.fault, SIM_FAULTS, "fault");
  const size = integerArg(o.size, "--size (bytes)", 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_SIM_IMAGE_BYTES;
  const out = required(o.out, "out");
  writeFileSync(out, buildSimImage(fault ? { ...header, fault: fault as SimFault } : header, size));
  console.log(`${out}: simulator image ${header.version} for ${header.product}${fault ? ` (fault: ${fault})` : ""}, ${size} bytes`);
  return 0;
}

async function voiceImage(args: string[]): Promise<number> {
  const o = parseFlags(args, { lang: { type: "string" }, from: { type: "string" }, out: { type: "string" } });
  const language = required(o.lang, "lang");
  const directory = join(o.from ?? VOICE_BUILD_DIR, language);
  const out = required(o.out, "out");
  let built;
  try {
    built = buildVoiceImage(directory);
  } catch (error) {
    if (error instanceof VoiceImageError) throw new UsageError(error.message);
    throw error;
  }
  writeFileSync(out, built.image);
  const { index } = built;
  console.log(JSON.stringify({ image: out, language: index.language, version: index.version, clips: index.clips.length, bytes: built.image.length, audioBytes: index.indexOffset, indexBytes: index.size - index.indexOffset, sampleRate: index.sampleRate }, null, 1));
  return 0;
}

const SUBCOMMANDS: Record<string, (args: string[]) => Promise<number>> = { keygen, "voice-image": voiceImage, sign, publish, "sim-image": simImage };

export const releaseCommand: Command = {
  name: "release",
  usage: [
    "payterm release keygen --out DIR [--name NAME] [--force]",
    "payterm release voice-image --lang LANG --out FILE [--from DIR]    (DIR: the voice build output, default build/voice)",
    "payterm release sign --key KEY.pem --image FILE --version X --min-version Y --product soundbox|qr-display [--kind firmware|voice-pack] [--lang LANG] [--chunk 256|512|1024|2048] [--out FILE]",
    "payterm release publish --manifest FILE --image FILE (--device ID ... | --all) [--broker URL] [--state DIR | --devices backend/devices.json]",
    "                        [--public-key HEX|FILE] [--timeout SECONDS] [--username USER (--password-file FILE | --password P | $PAYTERM_BROKER_PASSWORD)]",
    "                        [--ca CA.crt] [--cert CLIENT.crt --key CLIENT.key]",
    "payterm release sim-image --version X --product soundbox|qr-display [--fault crash|offline] [--size BYTES] --out FILE",
  ],
  async run(args) {
    const [sub, ...rest] = args;
    const run = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!run || !Object.prototype.hasOwnProperty.call(SUBCOMMANDS, sub as string))
      throw new UsageError(`release needs one of ${Object.keys(SUBCOMMANDS).join(", ")}${sub ? `, got ${JSON.stringify(sub)}` : ""}`);
    return run(rest);
  },
};
