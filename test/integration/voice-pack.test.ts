/**
 * A voice pack shipped on its own, end to end on a real broker (aedes in-process): the release
 * tools build the image from a pack on disk (the built Tamil pack with a recorded clip in place
 * of espeak's "received"), sign and serve it; the simulated soundbox runs the real firmware, whose
 * voice-pack areas are files. What the speaker played is checked byte for byte against the image:
 * after the install (no restart), after a power cycle, and never a pack that fails its check.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clipBytes, type PackIndex } from "../../firmware/voice/pack-image";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../host-sim/broker/embedded";
import { decodeIma, encodeIma } from "../../host-sim/audio/ima-adpcm";
import { VOICE_BUILD_DIR } from "../../host-sim/audio/voice-pack";
import { encodeWav, parseWav } from "../../host-sim/audio/wav";
import { SimulatorControl } from "../../host-sim/control/control";
import type { DeviceEvent } from "../../host-sim/device/event-log";
import type { SimDevice } from "../../host-sim/device/sim-device";
import type { PlayedSound } from "../../host-sim/hal/recording-audio";
import { loadReleasePrivateKey, releaseKeyDir, releaseKeyPaths } from "../../host-sim/release/keys";
import { publishRelease, type DeviceOutcome } from "../../host-sim/release/publish";
import { signRelease } from "../../host-sim/release/sign";
import { buildVoiceImage } from "../../host-sim/release/voice-image";
import { Simulator } from "../../host-sim/simulator";
import { startWebServer, type WebServer } from "../../host-sim/web-server";

const DEVICE = "sb-voice-1";
const LANGUAGE = "ta";
const VERSION = "1.1.0";
const WAIT_MS = 20_000;

let broker: EmbeddedBroker;
let simulator: Simulator;
let control: SimulatorControl;
let web: WebServer;
let stateDir: string;
let work: string;
let image: Uint8Array;
let index: PackIndex;
let recordedBlocks: Uint8Array;

const device = (): SimDevice => simulator.device(DEVICE);
const operatorKey = () => loadReleasePrivateKey(releaseKeyPaths(releaseKeyDir(stateDir)).privateKeyPath);

/** The built pack with a recording of "received" in place of espeak's, as a manufacturer would ship it. */
function recordedPack(): string {
  const dir = join(work, `${LANGUAGE}-${VERSION}`);
  cpSync(join(VOICE_BUILD_DIR, LANGUAGE), dir, { recursive: true });
  const wav = join(dir, "received.wav");
  const synth = spawnSync("sox", ["-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", wav, "synth", "0.6", "sine", "300-900", "vol", "0.4"]);
  expect(synth.status).toBe(0);
  const bytes = readFileSync(wav);
  const manifestPath = join(dir, "pack.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { version: string; clips: { name: string; source: string; samples: number; sha256: string }[] };
  manifest.version = VERSION;
  const clip = manifest.clips.find((c) => c.name === "received")!;
  Object.assign(clip, { source: "recorded", samples: parseWav(bytes).samples.length, sha256: createHash("sha256").update(bytes).digest("hex") });
  writeFileSync(manifestPath, JSON.stringify(manifest));
  return dir;
}

function publish(bytes: Uint8Array, version = VERSION): Promise<DeviceOutcome[]> {
  const release = signRelease({ image: bytes, kind: "voice-pack", product: "soundbox", version, minVersion: "1.0.0", language: LANGUAGE }, operatorKey());
  return publishRelease({ brokerUrl: simulator.brokerUrl, release, devices: [DEVICE], keyFor: (id) => simulator.registry.keyFor(id), timeoutMs: WAIT_MS });
}

/** Pays the device and resolves, once the announcement has played, with what it said and the sounds it played. */
async function pay(amountMinor: number): Promise<{ spoken: DeviceEvent; sounds: PlayedSound[] }> {
  const before = device().played.length;
  const { transactionId } = await simulator.service.publish({ deviceId: DEVICE, amountMinor, currency: "INR", provider: "UPI" });
  const isPayment = (e: DeviceEvent) => e.fields.kind === "payment" && e.fields.txn === transactionId;
  const spoken = device().log.waitFor((e) => e.name === "spoken" && isPayment(e), WAIT_MS);
  await device().log.waitFor((e) => e.name === "played" && isPayment(e), WAIT_MS);
  return { spoken: await spoken, sounds: device().played.slice(before) };
}

function clipOf(name: string): Uint8Array {
  const clip = index.clips.find((c) => c.name === name)!;
  const { offset, length } = clipBytes(clip);
  return image.subarray(offset, offset + length);
}

/** Every clip of the payment came from the installed pack, byte for byte, "received" the recording. */
function expectPackSpoke(said: { spoken: DeviceEvent; sounds: PlayedSound[] }): void {
  expect(said.spoken.fields.voice).toBe(`${LANGUAGE} ${VERSION}`);
  const names = String(said.spoken.fields.clips).split(" ");
  expect(said.sounds.map((s) => s.name)).toEqual(names);
  for (const sound of said.sounds) expect(Buffer.from(sound.blocks ?? []).equals(Buffer.from(clipOf(sound.name)))).toBe(true);
  expect(Buffer.from(said.sounds.find((s) => s.name === "received")!.blocks!).equals(Buffer.from(recordedBlocks))).toBe(true);
}

function expectBuiltInSpoke(said: { spoken: DeviceEvent; sounds: PlayedSound[] }): void {
  expect(said.spoken.fields.voice).toBe("built-in");
  expect(said.sounds.map((s) => s.name)).toEqual(String(said.spoken.fields.clips).split(" "));
  expect(said.sounds.every((s) => s.blocks === undefined)).toBe(true);
}

const started = () => device().log.events.filter((e) => e.name === "started").length;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "payterm-voice-pack-work-"));
  ({ image, index } = buildVoiceImage(recordedPack()));
  recordedBlocks = encodeIma(parseWav(readFileSync(join(work, `${LANGUAGE}-${VERSION}`, "received.wav"))).samples);
  broker = await startEmbeddedBroker();
  stateDir = mkdtempSync(join(tmpdir(), "payterm-voice-pack-"));
  simulator = await Simulator.start({ stateDir, brokerUrl: broker.url, language: LANGUAGE, devices: [{ deviceId: DEVICE, product: "soundbox" }], speechSpeed: 8 });
  const subscribed = device().log.waitFor((e) => e.name === "subscribed", WAIT_MS);
  control = new SimulatorControl(simulator);
  web = await startWebServer(control, 0);
  await subscribed;
}, 60_000);

afterAll(async () => {
  await web?.close();
  control?.close();
  await simulator?.stop();
  await broker?.close();
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe("a voice pack shipped on its own (aedes)", () => {
  it("a pack with a clip that fails its hash, and one cut short, are refused (bad_pack); the built-in pack keeps speaking", async () => {
    const damaged = image.slice();
    damaged[clipBytes(index.clips.find((c) => c.name === "received")!).offset + 100] ^= 0x40;
    const [bad] = await publish(damaged);
    expect(bad).toMatchObject({ outcome: "failed", reason: "bad_pack", detail: 'clip "received" does not match its hash' });
    const [short] = await publish(image.subarray(0, image.length - 1000));
    expect(short).toMatchObject({ outcome: "failed", reason: "bad_pack" });
    expect(device().updateStorage?.voice.active()).toBeUndefined();
    expectBuiltInSpoke(await pay(12_345));
  }, 60_000);

  it("a good pack installs without a restart, and the next payment is said with its clips, the recording among them", async () => {
    const restarts = started();
    const speaking = device().log.waitFor((e) => e.name === "voice-pack-speaking", WAIT_MS);
    const [outcome] = await publish(image);
    expect(outcome).toMatchObject({ outcome: "updated" });
    expect((await speaking).fields).toMatchObject({ language: LANGUAGE, version: VERSION, clips: index.clips.length });
    expect(device().updateStorage?.voice.active()).toEqual({ language: LANGUAGE, version: VERSION, size: image.length });
    expect(started()).toBe(restarts);
    expectPackSpoke(await pay(25_050));
    // The web page's speaker fetches each clip from the voice the clip event names.
    const clip = device().log.events.findLast((e) => e.name === "clip" && e.fields.clip === "received")!;
    expect(clip.fields.voice).toBe(`${LANGUAGE} ${VERSION}`);
    const response = await fetch(new URL(`/api/device/${DEVICE}/clip/received.wav?voice=${encodeURIComponent(String(clip.fields.voice))}`, web.url));
    expect(response.status).toBe(200);
    const served = new Uint8Array(await response.arrayBuffer());
    expect(Buffer.from(served).equals(Buffer.from(encodeWav({ sampleRate: 8000, channels: 1, samples: decodeIma(recordedBlocks) })))).toBe(true);
  }, 60_000);

  it("after a power cycle the installed pack still speaks, from the first word", async () => {
    const speaking = device().log.waitFor((e) => e.name === "voice-pack-speaking", WAIT_MS);
    const subscribed = device().log.waitFor((e) => e.name === "subscribed", WAIT_MS);
    device().restart();
    await speaking;
    await subscribed;
    const ready = device().log.events.findLast((e) => e.name === "spoken" && e.fields.kind === "status");
    expect(ready?.fields.voice).toBe(`${LANGUAGE} ${VERSION}`);
    expectPackSpoke(await pay(99_900));
  }, 60_000);

  it("a pack damaged on flash is dropped at the next boot: the built-in pack speaks, and the same release installs again", async () => {
    const dir = join(stateDir, `${DEVICE}.update`);
    const { area } = JSON.parse(readFileSync(join(dir, "voice.json"), "utf8")) as { area: number };
    device().powerOff();
    const file = join(dir, `voice${area}.bin`);
    const bytes = readFileSync(file);
    bytes[clipBytes(index.clips[3]).offset + 10] ^= 0x01;
    writeFileSync(file, bytes);
    const damaged = device().log.waitFor((e) => e.name === "voice-pack-damaged", WAIT_MS);
    const subscribed = device().log.waitFor((e) => e.name === "subscribed", WAIT_MS);
    device().start();
    expect((await damaged).fields).toMatchObject({ language: LANGUAGE, version: VERSION, detail: `clip "${index.clips[3].name}" does not match its hash` });
    await subscribed;
    expect(device().updateStorage?.voice.active()).toBeUndefined();
    expectBuiltInSpoke(await pay(4_200));
    const [again] = await publish(image);
    expect(again).toMatchObject({ outcome: "updated" });
    expectPackSpoke(await pay(4_300));
  }, 60_000);
});
