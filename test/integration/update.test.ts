/**
 * Signed updates end to end on a real broker (aedes in-process): the release tools sign and serve,
 * the simulated soundbox runs the real firmware, its slots and boot record on disk, and the
 * simulator's boot path counts trial boots. Each scenario is one release to the same device, in
 * order, so the versions climb as a fleet's would.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../host-sim/broker/embedded";
import { decodeProtocolCbor, encodeProtocolCbor } from "../../host-sim/service/cbor";
import { main } from "../../host-sim/cli";
import type { DeviceEvent } from "../../host-sim/device/event-log";
import { loadReleasePrivateKey, releaseKeyDir, releaseKeyPaths } from "../../host-sim/release/keys";
import { publishRelease, withReleaseServer, type DeviceOutcome } from "../../host-sim/release/publish";
import type { ReleaseServerOptions } from "../../host-sim/release/server";
import { signRelease, type SignedRelease } from "../../host-sim/release/sign";
import { buildSimImage, type SimFault } from "../../host-sim/release/sim-image";
import { Simulator } from "../../host-sim/simulator";

const DEVICE = "sb-upd-1";
const IMAGE_BYTES = 200 * 1024;
const HEALTH_MS = 1500;
const TRIAL_BOOTS = 2;

let broker: EmbeddedBroker;
let simulator: Simulator;
let stateDir: string;

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  stateDir = mkdtempSync(join(tmpdir(), "payterm-update-"));
  simulator = await Simulator.start({
    stateDir,
    brokerUrl: broker.url,
    devices: [{ deviceId: DEVICE, product: "soundbox" }],
    updates: { healthMs: HEALTH_MS, trialBoots: TRIAL_BOOTS },
  });
  await device().log.waitFor((e) => e.name === "subscribed");
});

afterAll(async () => {
  await simulator.stop();
  await broker.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const device = () => simulator.device(DEVICE);
const operatorKey = () => loadReleasePrivateKey(releaseKeyPaths(releaseKeyDir(stateDir)).privateKeyPath);

function firmware(version: string, options: { fault?: SimFault; key?: ReturnType<typeof operatorKey>; min?: string } = {}): SignedRelease {
  const header = options.fault ? { version, product: "soundbox" as const, fault: options.fault } : { version, product: "soundbox" as const };
  return signRelease({ image: buildSimImage(header, IMAGE_BYTES), kind: "firmware", product: "soundbox", version, minVersion: options.min ?? "0.1.0" }, options.key ?? operatorKey());
}

function publish(release: SignedRelease, server: ReleaseServerOptions = {}, timeoutMs = 20_000): Promise<DeviceOutcome[]> {
  return publishRelease({ brokerUrl: simulator.brokerUrl, release, devices: [DEVICE], keyFor: (id) => simulator.registry.keyFor(id), timeoutMs, server });
}

/** Collects the device's events named `name` while `during` runs. */
async function eventsDuring(name: string, during: () => Promise<unknown>): Promise<DeviceEvent[]> {
  const seen: DeviceEvent[] = [];
  const stop = device().log.listen((e) => e.name === name && seen.push(e));
  try {
    await during();
  } finally {
    stop();
  }
  return seen;
}

function slotDigest(slot: 0 | 1): string {
  return createHash("sha256").update(readFileSync(join(stateDir, `${DEVICE}.update`, `slot${slot}.bin`))).digest("hex");
}

function bootRecord(): { slot: number; trial: boolean; trialBoots: number } {
  return JSON.parse(readFileSync(join(stateDir, `${DEVICE}.update`, "otadata.json"), "utf8"));
}

const restartSoon = () => setTimeout(() => device().start(), 150);

describe("signed firmware updates over MQTT (aedes)", () => {
  it("a good release downloads, switches, and the new image confirms once connected and subscribed", async () => {
    const release = firmware("0.2.0");
    const [outcome] = await publish(release);
    expect(outcome).toMatchObject({ deviceId: DEVICE, outcome: "updated", firmware: "0.2.0" });
    expect(bootRecord()).toMatchObject({ slot: 1, trial: false });
    expect(slotDigest(1)).toBe(createHash("sha256").update(release.image).digest("hex"));
    expect(device().log.events.some((e) => e.name === "update-confirmed" && e.fields.version === "0.2.0")).toBe(true);
  });

  it("a release signed with another key is refused and nothing is written", async () => {
    const before = slotDigest(0);
    const stranger = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
    const [outcome] = await publish(firmware("0.3.0", { key: stranger }));
    expect(outcome).toMatchObject({ outcome: "refused", reason: "update_refused" });
    expect(outcome.detail).toMatch(/^bad_signature: /);
    expect(slotDigest(0)).toBe(before);
  });

  it("a corrupted chunk fails its block's hash; the block is fetched again and the update completes", async () => {
    let corrupted = false;
    const mismatches = await eventsDuring("update-block-mismatch", async () => {
      const [outcome] = await publish(firmware("0.3.0"), {
        chunkFilter: (_id, offset, data) => {
          if (offset !== 70 * 1024 || corrupted) return data;
          corrupted = true;
          data[100] ^= 0x01;
          return data;
        },
      });
      expect(outcome).toMatchObject({ outcome: "updated", firmware: "0.3.0" });
    });
    expect(corrupted).toBe(true);
    expect(mismatches.map((e) => e.fields.block)).toEqual([1]);
  });

  it("a downgrade is refused", async () => {
    const [outcome] = await publish(firmware("0.2.5"));
    expect(outcome).toMatchObject({ outcome: "refused", reason: "update_refused" });
    expect(outcome.detail).toBe("downgrade: 0.2.5 is older than 0.3.0, and downgrades are not allowed");
  });

  it("power lost during the download: after power-on the device resumes at its last good block", async () => {
    const served: number[] = [];
    let cut = false;
    const [outcome] = await publish(firmware("0.4.0"), {
      chunkFilter: (_id, offset, data) => {
        if (cut && !device().running) return undefined;
        served.push(offset);
        if (!cut && offset === 150 * 1024) {
          cut = true;
          device().powerOff();
          restartSoon();
          return undefined;
        }
        return data;
      },
    });
    expect(outcome).toMatchObject({ outcome: "updated", firmware: "0.4.0" });
    const afterCut = served.slice(served.indexOf(150 * 1024) + 1);
    expect(afterCut[0]).toBe(128 * 1024);
  });

  it("a link cut during the download resumes at the exact byte", async () => {
    const served: number[] = [];
    let cutAt: number | undefined;
    const [outcome] = await publish(firmware("0.5.0"), {
      chunkFilter: (_id, offset, data) => {
        served.push(offset);
        if (cutAt === undefined && offset === 90 * 1024) {
          device().cutLink();
          // What the device holds when its link drops; chunks still in the broker are lost.
          cutAt = device().firmware.updates?.offset;
          return undefined;
        }
        return data;
      },
    });
    expect(outcome).toMatchObject({ outcome: "updated", firmware: "0.5.0" });
    expect(cutAt).toBeGreaterThan(64 * 1024);
    expect((cutAt as number) % (64 * 1024)).not.toBe(0);
    const afterCut = served.slice(served.indexOf(90 * 1024) + 1).filter((offset) => offset <= 90 * 1024);
    expect(afterCut[0]).toBe(cutAt);
  });

  it("power lost after the download, before the switch: the slot is checked again and then switched", async () => {
    const release = firmware("0.6.0");
    let servedAfterCut = 0;
    let cut = false;
    const outcome = await withReleaseServer(
      simulator.brokerUrl,
      release,
      {
        chunkFilter: (_id, _offset, data) => {
          if (cut) servedAfterCut++;
          return data;
        },
      },
      async (server) => {
        // An announcement in progress holds the switch back; the power fails meanwhile.
        server.onState((state) => {
          if (state.stage !== "ready" || cut) return;
          cut = true;
          device().powerOff();
          restartSoon();
        });
        const since = server.mark();
        const fields = await simulator.service.publish({ deviceId: DEVICE, amountMinor: 123456, currency: "INR", provider: "UPI" });
        await simulator.service.waitForAck(fields.transactionId);
        const result = await simulator.service.command(DEVICE, "update", { m: release.manifest.signed });
        expect(result.status).toBe("ok");
        return server.waitFor(DEVICE, (s) => s.releaseId === release.manifest.releaseId && s.stage === "confirmed", 20_000, since);
      },
    );
    expect(cut).toBe(true);
    expect(servedAfterCut).toBe(0);
    expect(outcome.firmware).toBe("0.6.0");
    expect(device().log.events.filter((e) => e.name === "update-verified").length).toBeGreaterThanOrEqual(1);
  });

  it("power lost after the switch, before the image confirmed: it confirms on its next boot", async () => {
    const release = firmware("0.7.0");
    const trials: number[] = [];
    const stop = device().log.listen((e) => {
      if (e.name === "update-switching") device().linkDown();
      if (e.name !== "update-trial") return;
      trials.push(Number(e.fields.boot));
      if (trials.length === 1) {
        // Trial boot 1 cannot reach the broker; the power fails before its health window ends.
        setTimeout(() => {
          device().powerOff();
          device().linkUp();
          restartSoon();
        }, 200);
      }
    });
    try {
      const [outcome] = await publish(release);
      expect(outcome).toMatchObject({ outcome: "updated", firmware: "0.7.0" });
    } finally {
      stop();
    }
    expect(trials).toEqual([1, 2]);
    expect(bootRecord().trial).toBe(false);
  });

  it("a crash-looping image is rolled back after its trial boots; the previous version runs", async () => {
    const slot = bootRecord().slot;
    const crashes = await eventsDuring("simulated-crash", async () => {
      const [outcome] = await publish(firmware("0.8.0", { fault: "crash" }));
      expect(outcome).toMatchObject({ outcome: "rolled-back", reason: "rolled_back", firmware: "0.7.0" });
    });
    expect(crashes.length).toBe(TRIAL_BOOTS);
    expect(bootRecord()).toMatchObject({ slot, trial: false });
  });

  it("an image that never reaches the broker restarts after each health window and is rolled back", async () => {
    const unhealthy = await eventsDuring("update-unhealthy", async () => {
      const [outcome] = await publish(firmware("0.8.1", { fault: "offline" }));
      expect(outcome).toMatchObject({ outcome: "rolled-back", firmware: "0.7.0" });
    });
    expect(unhealthy.map((e) => e.fields.boot)).toEqual([1, 2]);
  });

  it("signed bytes that are not a voice pack download and check out, and are refused (bad_pack): nothing is installed", async () => {
    const bytes = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 7 + 3) & 0xff);
    const release = signRelease({ image: bytes, kind: "voice-pack", product: "soundbox", version: "1.0.0", minVersion: "1.0.0", language: "ta" }, operatorKey());
    const [outcome] = await publish(release);
    expect(outcome).toMatchObject({ outcome: "failed", reason: "bad_pack" });
    expect(outcome.detail).toMatch(/MAUD header/);
    expect(device().updateStorage?.voice.active()).toBeUndefined();
  });
});

describe("release server", () => {
  it("drops malformed requests and states, counts them, and keeps serving", async () => {
    const release = firmware("0.9.5");
    await withReleaseServer(simulator.brokerUrl, release, {}, async (server) => {
      const client = await mqtt.connectAsync(simulator.brokerUrl, { clientId: "junk-sender", protocolVersion: 4 });
      const replies: Buffer[] = [];
      await client.subscribeAsync("pt/v1/junk-1/upd/data");
      client.on("message", (_topic, payload) => replies.push(payload));
      const junk = [
        Buffer.from("not cbor"),
        Buffer.from(encodeProtocolCbor({ v: 2, rel: release.manifest.releaseId, off: 0, n: 1 })),
        Buffer.from(encodeProtocolCbor({ v: 1, rel: "short", off: 0, n: 1 })),
        Buffer.from(encodeProtocolCbor({ v: 1, rel: release.manifest.releaseId, off: 3, n: 1 })),
        Buffer.from(encodeProtocolCbor({ v: 1, rel: release.manifest.releaseId, off: 10_000_000, n: 1 })),
        Buffer.from(encodeProtocolCbor({ v: 1, rel: release.manifest.releaseId, off: 0, n: 0 })),
      ];
      for (const payload of junk) await client.publishAsync("pt/v1/junk-1/upd/get", payload);
      await client.publishAsync("pt/v1/junk-1/upd/state", Buffer.from("garbage"));
      await client.publishAsync("pt/v1/junk-1/upd/get", Buffer.from(encodeProtocolCbor({ v: 1, rel: release.manifest.releaseId, off: 2048, n: 2 })));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(server.served.refused).toBe(junk.length);
      expect(server.state("junk-1")).toBeUndefined();
      expect(replies.map((r) => (decodeProtocolCbor(r) as { off: number }).off)).toEqual([2048, 4096]);
      await client.endAsync();
    });
  });
});

describe("payterm release (CLI)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "payterm-release-cli-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) => main(["release", ...args]);

  it("refuses bad arguments with a usage error (exit 2) and changes nothing", async () => {
    const image = join(dir, "bad.img");
    expect(await run("sim-image", "--version", "0.9.0", "--product", "soundbox", "--out", image)).toBe(0);
    const key = releaseKeyPaths(releaseKeyDir(stateDir)).privateKeyPath;
    expect(await run()).toBe(2);
    expect(await run("launch")).toBe(2);
    expect(await run("sign", "--key", key, "--image", image, "--version", "nine", "--min-version", "0.1.0", "--product", "soundbox")).toBe(2);
    expect(await run("sign", "--key", key, "--image", image, "--version", "0.9.0", "--min-version", "0.1.0", "--product", "toaster")).toBe(2);
    expect(await run("sign", "--key", key, "--image", image, "--version", "0.9.0", "--min-version", "1.0.0", "--product", "soundbox")).toBe(2);
    expect(await run("sign", "--key", image, "--image", image, "--version", "0.9.0", "--min-version", "0.1.0", "--product", "soundbox")).toBe(2);
    expect(await run("sign", "--key", key, "--image", join(dir, "missing"), "--version", "0.9.0", "--min-version", "0.1.0", "--product", "soundbox")).toBe(2);
    expect(await run("sign", "--key", key, "--image", image, "--version", "0.9.0", "--min-version", "0.1.0", "--product", "soundbox", "--chunk", "3000")).toBe(2);
    expect(await run("publish", "--manifest", image, "--image", image, "--state", stateDir, "--all")).toBe(2);
    expect(await run("keygen", "--out", releaseKeyDir(stateDir))).toBe(2);
  });

  it("keygen, sign and publish --all take the fleet to the new version", async () => {
    const keyDir = join(dir, "keys");
    expect(await run("keygen", "--out", keyDir)).toBe(0);
    const image = join(dir, "fw.img");
    expect(await run("sim-image", "--version", "0.9.0", "--product", "soundbox", "--out", image)).toBe(0);
    const manifest = join(dir, "fw.manifest");
    const key = releaseKeyPaths(releaseKeyDir(stateDir)).privateKeyPath;
    expect(await run("sign", "--key", key, "--image", image, "--version", "0.9.0", "--min-version", "0.7.0", "--product", "soundbox", "--out", manifest)).toBe(0);
    // Signed with a key the fleet does not trust: publish refuses to serve it.
    const strange = join(dir, "strange.manifest");
    expect(await run("sign", "--key", releaseKeyPaths(keyDir).privateKeyPath, "--image", image, "--version", "0.9.0", "--min-version", "0.7.0", "--product", "soundbox", "--out", strange)).toBe(0);
    expect(await run("publish", "--manifest", strange, "--image", image, "--state", stateDir, "--broker", simulator.brokerUrl, "--all")).toBe(2);
    expect(await run("publish", "--manifest", manifest, "--image", image, "--state", stateDir, "--broker", simulator.brokerUrl, "--all", "--timeout", "30")).toBe(0);
    expect(device().log.events.some((e) => e.name === "update-confirmed" && e.fields.version === "0.9.0")).toBe(true);
  });
});
