/**
 * A virtual soundbox for fleet runs: the real firmware (firmware/device.ts: session, payment
 * pipeline, journal, soundbox speech queue, commands, telemetry) on a HAL cut down for numbers:
 * its own MQTT connection (mqtt.js, as the simulator's devices), NVS in memory, the fleet's shared
 * timers, audio that renders nothing, and a log that only passes on the few events the fleet
 * counts. No per-device logging, files or WAVs.
 */
import type { Hal, LogFields, LogLevel } from "../../hal/index";
import { MemoryButtons, MemoryKv, MemoryNetwork, MemoryPower } from "../../hal/memory/index";
import type { DeviceDefaults } from "../../firmware/config";
import { startDevice, type Device } from "../../firmware/device";
import { Keyring } from "../../firmware/payments/keyring";
import { MqttJsTransport } from "../hal/mqttjs-transport";
import { nodeClock } from "../hal/node-clock";
import { nodeCrypto } from "../hal/node-crypto";
import type { DeviceKey } from "../service/confirmation";
import type { FleetScheduler, DeviceTimers } from "./scheduler";
import { SilentAudio, type InstantPlayback } from "./silent-audio";

export const FLEET_FIRMWARE_VERSION = "0.1.0-fleet";

/** The log events a fleet counts; everything else is dropped where it is made. */
export type FleetEvent = "announced" | "connected" | "disconnected" | "rejected" | "duplicate";

const COUNTED: ReadonlySet<string> = new Set<FleetEvent>(["announced", "connected", "disconnected", "rejected", "duplicate"]);

export interface VirtualSoundboxOptions {
  index: number;
  deviceId: string;
  key: DeviceKey;
  broker: { host: string; port: number };
  scheduler: FleetScheduler;
  playback: InstantPlayback;
  onEvent(index: number, event: FleetEvent, fields: LogFields): void;
}

export class VirtualSoundbox {
  readonly #o: VirtualSoundboxOptions;
  readonly #kv = new MemoryKv();
  #timers: DeviceTimers | undefined;
  #transport: MqttJsTransport | undefined;
  #device: Device | undefined;

  constructor(options: VirtualSoundboxOptions) {
    this.#o = options;
    new Keyring(this.#kv).put(options.key.keyId, options.key.key);
  }

  get deviceId(): string {
    return this.#o.deviceId;
  }

  start(): void {
    if (this.#device) return;
    const o = this.#o;
    this.#timers = o.scheduler.timers();
    this.#transport = new MqttJsTransport({ debugLog: false });
    const log = {
      event: (_level: LogLevel, name: string, fields: LogFields = {}) => {
        if (COUNTED.has(name)) o.onEvent(o.index, name as FleetEvent, fields);
      },
    };
    const hal: Hal = {
      clock: nodeClock,
      timers: this.#timers,
      kv: this.#kv,
      mqtt: this.#transport,
      crypto: nodeCrypto,
      buttons: new MemoryButtons(),
      power: new MemoryPower(),
      network: new MemoryNetwork(),
      system: { deviceId: o.deviceId, product: "soundbox", firmwareVersion: FLEET_FIRMWARE_VERSION, freeHeap: () => 0, restart: () => this.restart() },
      log,
      audio: new SilentAudio(o.playback),
    };
    const defaults: DeviceDefaults = { brokerHost: o.broker.host, brokerPort: o.broker.port, brokerTls: false, language: "en-in", keepalive: 60 };
    this.#device = startDevice(hal, defaults);
  }

  /** Orderly: the device publishes its offline status and disconnects. */
  stop(): void {
    this.#device?.stop();
    this.#device = undefined;
    this.#timers?.clearAll();
  }

  restart(): void {
    this.#transport?.powerLoss();
    this.#device = undefined;
    this.#timers?.clearAll();
    this.start();
  }
}
