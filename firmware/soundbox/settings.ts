/** The soundbox's playback settings, provisioned in the "config" domain (see firmware/config.ts). */
import type { Log } from "../../hal/log";
import { currencyInfo } from "../money";
import { DEFAULT_BURST_DEPTH } from "./speech-queue";

export const DEFAULT_REPLAY_COUNT = 3;
export const MAX_REPLAY_COUNT = 20;
/** India Standard Time, UTC+05:30: the default market. */
export const DEFAULT_TZ_OFFSET_MINUTES = 330;

export interface SoundboxSettings {
  /** More payments than this waiting fold into a count-and-total; 0 never folds. */
  burstDepth: number;
  /** How many of the latest payments the replay button says. */
  replayCount: number;
  /** The merchant's local time, minutes east of UTC, for the day of today's summary. */
  tzOffsetMinutes: number;
  /** The currency of "no payments today". */
  homeCurrency: string;
}

/** Inclusive ranges of the numeric settings; tzOffsetMinutes spans the offsets in use, UTC-12:00 to UTC+14:00. */
export const SETTING_RANGES = Object.freeze({
  burstDepth: [0, 100] as const,
  replayCount: [1, MAX_REPLAY_COUNT] as const,
  tzOffsetMinutes: [-720, 840] as const,
});

export const DEFAULT_SOUNDBOX_SETTINGS: Readonly<SoundboxSettings> = Object.freeze({
  burstDepth: DEFAULT_BURST_DEPTH,
  replayCount: DEFAULT_REPLAY_COUNT,
  tzOffsetMinutes: DEFAULT_TZ_OFFSET_MINUTES,
  homeCurrency: "INR",
});

function checked(log: Log, name: keyof typeof SETTING_RANGES, value: number, fallback: number): number {
  const [min, max] = SETTING_RANGES[name];
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  log.event("warn", "setting-out-of-range", { name, value, min, max, using: fallback });
  return fallback;
}

/** Each setting in its range; one that is not is logged and replaced by its default. */
export function validSoundboxSettings(log: Log, s: SoundboxSettings): SoundboxSettings {
  const d = DEFAULT_SOUNDBOX_SETTINGS;
  let homeCurrency = s.homeCurrency;
  if (!currencyInfo(homeCurrency)) {
    log.event("warn", "setting-out-of-range", { name: "homeCurrency", value: homeCurrency, using: d.homeCurrency });
    homeCurrency = d.homeCurrency;
  }
  return {
    burstDepth: checked(log, "burstDepth", s.burstDepth, d.burstDepth),
    replayCount: checked(log, "replayCount", s.replayCount, d.replayCount),
    tzOffsetMinutes: checked(log, "tzOffsetMinutes", s.tzOffsetMinutes, d.tzOffsetMinutes),
    homeCurrency,
  };
}
