/**
 * The speaker volume as the merchant sets it: levels 1 to 7, one step per button press. There is
 * no mute: a soundbox that can be silenced misses payments, so the lowest level is quiet but
 * audible. Each step is 4 dB, so the range spans 24 dB, and level 7 is full scale.
 * The level is persisted in the key-value store and restored at boot.
 */
import type { KeyValueStore } from "../../hal/kv";
import type { Log } from "../../hal/log";

export const MIN_VOLUME = 1;
export const MAX_VOLUME = 7;
export const DEFAULT_VOLUME = 5;
const DB_PER_STEP = 4;

export const SOUNDBOX_DOMAIN = "soundbox";
const VOLUME_KEY = "volume";

/** The audio gain (0 to 1) of a level: 4 dB per step below full scale. */
export function volumeGain(level: number): number {
  return Math.pow(10, ((level - MAX_VOLUME) * DB_PER_STEP) / 20);
}

export interface VolumeStep {
  level: number;
  /** False when the press hit the end of the range. */
  changed: boolean;
}

export class Volume {
  readonly #kv: KeyValueStore;
  readonly #log: Log;
  #level: number;

  constructor(kv: KeyValueStore, log: Log) {
    this.#kv = kv;
    this.#log = log;
    const stored = kv.get(SOUNDBOX_DOMAIN, VOLUME_KEY);
    if (stored === undefined) {
      this.#level = DEFAULT_VOLUME;
    } else if (typeof stored === "number" && Number.isInteger(stored) && stored >= MIN_VOLUME && stored <= MAX_VOLUME) {
      this.#level = stored;
    } else {
      log.event("warn", "volume-unreadable", { stored: String(stored), using: DEFAULT_VOLUME });
      this.#level = DEFAULT_VOLUME;
    }
  }

  get level(): number {
    return this.#level;
  }

  get gain(): number {
    return volumeGain(this.#level);
  }

  /** One step up (+1) or down (-1), persisted. */
  step(direction: 1 | -1): VolumeStep {
    const level = this.#level + direction;
    if (level < MIN_VOLUME || level > MAX_VOLUME) return { level: this.#level, changed: false };
    this.#level = level;
    try {
      this.#kv.set(SOUNDBOX_DOMAIN, VOLUME_KEY, level);
    } catch (error) {
      // The new level still applies until the next restart.
      this.#log.event("error", "volume-not-saved", { level, detail: (error as Error).message });
    }
    this.#log.event("info", "volume", { level });
    return { level, changed: true };
  }
}
