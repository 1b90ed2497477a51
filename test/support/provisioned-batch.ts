/**
 * A batch from `payterm provision` in a temporary directory, with its broker address chosen
 * beforehand (the images and the broker files name it), for tests that run a private mosquitto
 * on what provisioning wrote and boot the real firmware from the images.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import type { KvValue } from "../../hal/kv";
import { CONFIG_DOMAIN, provisionedDeviceId } from "../../firmware/config";
import { startDevice, type Device } from "../../firmware/device";
import { VoicePack } from "../../host-sim/audio/voice-pack";
import { EventLog } from "../../host-sim/device/event-log";
import { FileKv } from "../../host-sim/hal/file-kv";
import { NodeTimers } from "../../host-sim/hal/node-clock";
import { RecordingAudio } from "../../host-sim/hal/recording-audio";
import { readBackendImport, type BackendDevice } from "../../host-sim/provision/backend";
import { loadNvsIntoKv } from "../../host-sim/provision/nvs/kv-image";
import { provision, type ProvisionRequest, type ProvisionSummary } from "../../host-sim/provision/provision";
import { silentProgress } from "../../host-sim/provision/progress";
import { Registry } from "../../host-sim/registry";
import { soundboxHal } from "./host-hal";
import { freePort, Mosquitto } from "./mosquitto";

const PARTITIONS = join(import.meta.dirname, "..", "..", "hal", "moddable", "partitions.csv");

/** What a test chooses; the rest of the request is a plain ESP32 batch. */
export type BatchRequest = Partial<Pick<ProvisionRequest, "count" | "product" | "auth" | "serverNames" | "releaseKey" | "wifi">> & {
  /** A merchants CSV's text, instead of `count`. */
  merchantsCsv?: string;
  /** mqtt or mqtts; the host is 127.0.0.1 and the port a free one. */
  scheme?: "mqtt" | "mqtts";
};

/** A device's NVS image read back into the simulator's key-value store. */
export interface Image {
  deviceId: string;
  kv: FileKv;
}

export class ProvisionedBatch {
  private constructor(
    readonly dir: string,
    readonly out: string,
    readonly port: number,
    readonly summary: ProvisionSummary,
  ) {}

  static async make(name: string, request: BatchRequest): Promise<ProvisionedBatch> {
    const dir = mkdtempSync(join(tmpdir(), `payterm-${name}-`));
    const out = join(dir, "batch");
    const port = await freePort();
    let merchants: ProvisionRequest["merchants"];
    if (request.merchantsCsv !== undefined) {
      const source = join(dir, "merchants.csv");
      writeFileSync(source, request.merchantsCsv);
      merchants = { source, text: request.merchantsCsv };
    }
    const summary = await provision({
      out,
      count: request.count,
      product: request.product,
      merchants,
      auth: request.auth,
      serverNames: request.serverNames,
      releaseKey: request.releaseKey,
      wifi: request.wifi,
      brokerUrl: `${request.scheme ?? "mqtt"}://127.0.0.1:${port}`,
      rotate: false,
      partitionTable: { text: readFileSync(PARTITIONS, "utf8"), source: PARTITIONS },
      chip: "esp32",
      baud: 921600,
      keepalive: 30,
      certificateDays: 365,
      now: new Date(),
      progress: silentProgress,
    });
    return new ProvisionedBatch(dir, out, port, summary);
  }

  /** A file the batch wrote, as text: `broker/service.json`, `backend/devices.csv`... */
  file(path: string): string {
    return readFileSync(join(this.out, path), "utf8");
  }

  /** The backend import (backend/devices.json), sorted by device id as provisioning writes it. */
  get devices(): BackendDevice[] {
    return readBackendImport(this.file("backend/devices.json"), "devices.json");
  }

  /** `kvPath`: where the store keeps its file (a simulated device's NVS), or in memory only. */
  image(deviceId: string, kvPath?: string): Image {
    const kv = new FileKv(kvPath);
    loadNvsIntoKv(new Uint8Array(readFileSync(join(this.out, "devices", deviceId, "nvs.bin"))), kv);
    return { deviceId, kv };
  }

  /** mosquitto on the batch's port with one of the configurations provisioning wrote under broker/. */
  startMosquitto(configuration: "mosquitto.conf" | "mosquitto-dynsec.conf" = "mosquitto.conf"): Promise<Mosquitto> {
    // Started as root, mosquitto drops to its own user, which could not read the 0700 output directory.
    return Mosquitto.start([`user ${userInfo().username}`, this.file(`broker/${configuration}`)].join("\n"), this.port);
  }

  /** A registry (in the batch's temporary directory) holding the backend import's devices and keys. */
  registry(): Registry {
    const registry = new Registry(join(this.dir, "state"));
    registry.importDevices(readBackendImport(this.file("backend/devices.csv"), "devices.csv"));
    return registry;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function configValue(image: Image, key: string): KvValue | undefined {
  return image.kv.get(CONFIG_DOMAIN, key);
}

export interface Booted {
  log: EventLog;
  stop(): void;
}

/**
 * Boots the real soundbox firmware on the host HAL with `image` as its whole NVS: the defaults
 * point nowhere, so only what provisioning wrote can get it to the broker. Resolves once connected.
 */
export async function bootFromImage(image: Image): Promise<Booted> {
  const deviceId = provisionedDeviceId(image.kv) as string;
  const log = new EventLog(deviceId);
  const timers = new NodeTimers();
  const audio = new RecordingAudio({ clips: new VoicePack("en-in"), onSound: () => {} });
  const hal = soundboxHal(deviceId, image.kv, timers, log, audio);
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
