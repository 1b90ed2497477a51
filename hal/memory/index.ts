/**
 * The HAL in memory: every part platform-neutral (XS or Node, no host APIs), deterministic, and
 * driven by the test: time by `timers.advance`, the network by `broker.flush`, audio by
 * `audio.drain`. `createMemoryHal` assembles one device's HAL.
 */
import type { Hal } from "../index";
import type { Product } from "../system";
import { RecordingAudio } from "./audio";
import { ManualClock, ManualTimers } from "./clock";
import { SoftCrypto } from "./crypto";
import { MemoryKv } from "./kv";
import { MemoryBroker, MemoryMqtt } from "./mqtt";
import { MemoryButtons, MemoryNetwork, MemoryPower, MemorySystem, RecordingLog } from "./peripherals";
import { MemoryUpdateStorage, type MemoryUpdateFlash } from "./update";

export { RecordingAudio, type RecordingAudioOptions } from "./audio";
export { ManualClock, ManualTimers } from "./clock";
export { SeededRandom, SoftCrypto } from "./crypto";
export { MemoryKv, type KvSnapshot } from "./kv";
export { MemoryBroker, MemoryMqtt, topicMatches, isValidTopicFilter, isValidTopicName, type BrokerRecord, type MemoryBrokerOptions, type SessionView } from "./mqtt";
export { MemoryButtons, MemoryNetwork, MemoryPower, MemorySystem, RecordingLog, type LogRecord, type MemorySystemOptions } from "./peripherals";
export { MemoryUpdateFlash, MemoryUpdateStorage, SECTOR_BYTES, type MemoryUpdateFlashOptions } from "./update";

export interface MemoryHalOptions {
  deviceId: string;
  product: Product;
  firmwareVersion?: string;
  /** Shared by every device of a test, and by the test's own "service" client. */
  broker?: MemoryBroker;
  /** Pass the clock of a device that "rebooted" to keep time running on. */
  clock?: ManualClock;
  /** A store carried over a reboot (`MemoryKv.restore(old.kv.snapshot())`). */
  kv?: MemoryKv;
  /** Seed of the deterministic randomness. */
  seed?: number;
  /** Clips of the voice pack; a soundbox gets a RecordingAudio with them. */
  clips?: Iterable<string>;
  /** Also write each log event as a line (e.g. `print` on XS). */
  echo?: (line: string) => void;
  /** Update flash carried over a reboot; creating the HAL is the boot that counts trial boots. */
  updateFlash?: MemoryUpdateFlash;
}

/** A Hal whose parts keep their test-facing types. */
export interface MemoryHal extends Hal {
  clock: ManualClock;
  timers: ManualTimers;
  kv: MemoryKv;
  mqtt: MemoryMqtt;
  crypto: SoftCrypto;
  buttons: MemoryButtons;
  power: MemoryPower;
  network: MemoryNetwork;
  system: MemorySystem;
  log: RecordingLog;
  audio?: RecordingAudio;
  update?: MemoryUpdateStorage;
  broker: MemoryBroker;
}

export function createMemoryHal(options: MemoryHalOptions): MemoryHal {
  const clock = options.clock ?? new ManualClock();
  const broker = options.broker ?? new MemoryBroker();
  const hal: MemoryHal = {
    clock,
    timers: new ManualTimers(clock),
    kv: options.kv ?? new MemoryKv(),
    mqtt: new MemoryMqtt(broker),
    crypto: new SoftCrypto(options.seed ?? 1),
    buttons: new MemoryButtons(),
    power: new MemoryPower(),
    network: new MemoryNetwork(),
    system: new MemorySystem({ deviceId: options.deviceId, product: options.product, firmwareVersion: options.firmwareVersion }),
    log: new RecordingLog(options.echo),
    broker,
  };
  if (options.product === "soundbox" || options.clips) hal.audio = new RecordingAudio({ clips: options.clips ?? [] });
  if (options.updateFlash) hal.update = new MemoryUpdateStorage(options.updateFlash);
  return hal;
}
