/**
 * The simulator: a broker (embedded aedes, or any broker by URL), the two devices running the
 * real firmware, and the payment service, wired together for the web UI, the CLI and tests.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KeyValueStore } from "../hal/kv";
import { VoicePack } from "./audio/voice-pack";
import { startEmbeddedBroker, type EmbeddedBroker } from "./broker/embedded";
import { DEMO_ACCESS_POINT } from "./device/sim-network";
import { SimDevice } from "./device/sim-device";
import { Registry } from "./registry";
import { ensureReleaseKey, releaseKeyDir } from "./release/keys";
import { PaymentService, type PaymentServiceOptions } from "./service/payment-service";
import { ensureProvisioningKey } from "./nfc/operator-key";
import { SimulatorNfc } from "./nfc/simulator-nfc";

export interface SimulatorOptions {
  stateDir: string;
  /** An external broker; without it an embedded aedes starts on a free loopback port. */
  brokerUrl?: string;
  brokerPort?: number;
  language?: string;
  /** `screen` sets a QR display's resolution (240x320 portrait unless given). */
  devices?: { deviceId: string; product: "soundbox" | "qr-display"; screen?: { width: number; height: number } }[];
  merchant?: { vpa: string; name: string };
  /** The soundboxes speak this many times faster than real time (scenarios); 1 when absent. */
  speechSpeed?: number;
  /** false: no WAV file per announcement (scenarios, which check events, skip the disk work). */
  announcementWavs?: boolean;
  /** The payment service's client id, delivery policy and so on. */
  service?: PaymentServiceOptions;
  /** Signed updates: the trial boot's health window and boot limit (firmware defaults otherwise). */
  updates?: { healthMs?: number; trialBoots?: number };
  /** Each device's key-value store passes through this at every boot (bench:wear). */
  wrapKv?: (deviceId: string, kv: KeyValueStore) => KeyValueStore;
}


export const DEMO_MERCHANT = { vpa: "demo.store@okaxis", name: "Demo Store" };

export const DEFAULT_DEVICES = [
  { deviceId: "soundbox-1", product: "soundbox" as const },
  { deviceId: "qr-display-1", product: "qr-display" as const },
];

export class Simulator {
  private constructor(
    readonly options: SimulatorOptions,
    readonly brokerUrl: string,
    readonly broker: EmbeddedBroker | undefined,
    readonly registry: Registry,
    readonly devices: Map<string, SimDevice>,
    readonly service: PaymentService,
  ) {}

  static async start(options: SimulatorOptions): Promise<Simulator> {
    mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
    const broker = options.brokerUrl ? undefined : await startEmbeddedBroker({ port: options.brokerPort ?? 0 });
    const brokerUrl = options.brokerUrl ?? (broker as EmbeddedBroker).url;
    const url = new URL(brokerUrl);
    if (url.protocol !== "mqtt:") throw new Error(`broker URL must be mqtt://host:port, got ${brokerUrl}`);
    const registry = new Registry(options.stateDir);
    // --lang wins over the language a device was first registered with, so the pack and the
    // composer always agree.
    const packs = new Map<string, VoicePack>();
    const voiceFor = (code: string) => packs.get(code) ?? packs.set(code, new VoicePack(code)).get(code)!;
    const devices = new Map<string, SimDevice>();
    const wanted: NonNullable<SimulatorOptions["devices"]> = options.devices ?? DEFAULT_DEVICES;
    const updateKey = ensureReleaseKey(releaseKeyDir(options.stateDir));
    const nfcOperatorKey = ensureProvisioningKey(options.stateDir).publicKeyHex;
    const wrapKv = options.wrapKv;
    for (const { deviceId, product, screen } of wanted) {
      const registered = registry.ensure(deviceId, product, options.language ?? "en-in");
      const language = options.language ?? registered.language;
      const device = new SimDevice({
        deviceId,
        product,
        language,
        broker: { host: url.hostname, port: Number(url.port || 1883) },
        key: { keyId: registered.keyId, key: new Uint8Array(Buffer.from(registered.keyHex, "hex")) },
        stateDir: options.stateDir,
        voice: voiceFor(language),
        speechSpeed: options.speechSpeed,
        wavDir: options.announcementWavs === false ? undefined : join(options.stateDir, "announcements", deviceId),
        merchant: options.merchant ?? DEMO_MERCHANT,
        ...(screen ? { screen } : {}),
        updateKey,
        updateHealthMs: options.updates?.healthMs,
        updateTrialBoots: options.updates?.trialBoots,
        nfcOperatorKey,
        accessPoint: DEMO_ACCESS_POINT,
        ...(wrapKv && { wrapKv: (kv: KeyValueStore) => wrapKv(deviceId, kv) }),
      });
      devices.set(deviceId, device);
    }
    // The service's delivery state lives beside the registry, so a restart resumes its retries.
    const service = await PaymentService.connect(brokerUrl, (id) => registry.keyFor(id), { stateDir: options.stateDir, ...options.service });
    const simulator = new Simulator(options, brokerUrl, broker, registry, devices, service);
    simulator.#nfc = await SimulatorNfc.attach(simulator);
    for (const device of devices.values()) device.start();
    writeFileSync(join(options.stateDir, "broker.json"), JSON.stringify({ url: brokerUrl, pid: process.pid }));
    return simulator;
  }

  #nfc: SimulatorNfc | undefined;

  /** NFC: tags held to the QR displays, taps at the payment service (host-sim/nfc/simulator-nfc.ts). */
  get nfc(): SimulatorNfc {
    if (!this.#nfc) throw new Error("the simulator is not started");
    return this.#nfc;
  }

  device(deviceId: string): SimDevice {
    const device = this.devices.get(deviceId);
    if (!device) throw new Error(`no simulated device ${deviceId}`);
    return device;
  }

  async stop(): Promise<void> {
    for (const device of this.devices.values()) device.stop();
    await this.service.close();
    await this.broker?.close();
    rmSync(join(this.options.stateDir, "broker.json"), { force: true });
  }
}
