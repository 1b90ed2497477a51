/**
 * Device configuration: build-time defaults (Moddable's mc/config on the device, options in the
 * simulator), overridden by what provisioning wrote to the "config" domain of the key-value store.
 */
import type { KeyValueStore } from "../hal/kv";
import { DEFAULT_LATE_AFTER_MS } from "./payments/late-policy";
import { fromHex } from "./protocol/bytes";
import { DEFAULT_SOUNDBOX_SETTINGS, type SoundboxSettings } from "./soundbox/settings";

export const DEFAULT_TELEMETRY_EVERY_MS = 60_000;

export const CONFIG_DOMAIN = "config";

export interface DeviceDefaults {
  brokerHost: string;
  brokerPort: number;
  brokerTls: boolean;
  username?: string;
  password?: string;
  /** Voice language of the soundbox, e.g. "en-in". */
  language: string;
  /** MQTT keepalive, seconds. */
  keepalive: number;
  /** Confirmations older than this on arrival fold into a "while you were offline" summary. */
  lateAfterMs?: number;
  /** How often telemetry is published, ms. */
  telemetryEveryMs?: number;
  /** The merchant's UPI VPA and name, for the QR display's static code. */
  merchantVpa?: string;
  merchantName?: string;
  /** Soundbox playback: burst folding depth, replay length, local time zone, home currency. */
  soundbox?: Partial<SoundboxSettings>;
  /** The operator's release key, hex of the 65-byte uncompressed P-256 point; NVS "updKey" wins. */
  updateKey?: string;
  /** Boots a new firmware image may take to connect and subscribe before it is rolled back. */
  updateTrialBoots?: number;
  /** How long each trial boot waits for that, ms. */
  updateHealthMs?: number;
  /** Whether a signed release older than the running one may be installed (never below the floor). */
  allowDowngrade?: boolean;
}

export type DeviceConfig = Omit<DeviceDefaults, "soundbox"> &
  Required<Pick<DeviceDefaults, "lateAfterMs" | "telemetryEveryMs" | "updateTrialBoots" | "updateHealthMs" | "allowDowngrade">> & {
    soundbox: SoundboxSettings;
    /** `updateKey` as bytes, when it is a P-256 point. */
    updatePublicKey: Uint8Array | undefined;
  };

export const DEFAULT_UPDATE_TRIAL_BOOTS = 3;
export const DEFAULT_UPDATE_HEALTH_MS = 120_000;
/** An uncompressed P-256 point: 0x04, X, Y. */
const P256_POINT_BYTES = 65;

function stringOr(kv: KeyValueStore, key: string, fallback: string | undefined): string | undefined {
  const value = kv.get(CONFIG_DOMAIN, key);
  return typeof value === "string" ? value : fallback;
}

function numberOr(kv: KeyValueStore, key: string, fallback: number): number {
  const value = kv.get(CONFIG_DOMAIN, key);
  return typeof value === "number" ? value : fallback;
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

function booleanOr(kv: KeyValueStore, key: string, fallback: boolean): boolean {
  const value = kv.get(CONFIG_DOMAIN, key);
  return typeof value === "boolean" ? value : fallback;
}

/** NVS holds the key as a 65-byte blob (or its hex); the build default as hex. */
function updatePublicKey(kv: KeyValueStore, fallbackHex: string | undefined): Uint8Array | undefined {
  const stored = kv.get(CONFIG_DOMAIN, "updKey");
  const key = stored instanceof ArrayBuffer ? new Uint8Array(stored) : fromHex(typeof stored === "string" ? stored : (fallbackHex ?? ""));
  return key && key.length === P256_POINT_BYTES && key[0] === 0x04 ? key : undefined;
}

function soundboxSettings(kv: KeyValueStore, defaults: SoundboxSettings): SoundboxSettings {
  return {
    burstDepth: numberOr(kv, "burstDepth", defaults.burstDepth),
    replayCount: numberOr(kv, "replayCount", defaults.replayCount),
    tzOffsetMinutes: numberOr(kv, "tzMin", defaults.tzOffsetMinutes),
    homeCurrency: stringOr(kv, "currency", defaults.homeCurrency) as string,
  };
}

export function loadConfig(kv: KeyValueStore, defaults: DeviceDefaults): DeviceConfig {
  const tls = kv.get(CONFIG_DOMAIN, "tls");
  return {
    brokerHost: stringOr(kv, "host", defaults.brokerHost) as string,
    brokerPort: numberOr(kv, "port", defaults.brokerPort),
    brokerTls: typeof tls === "boolean" ? tls : defaults.brokerTls,
    username: stringOr(kv, "user", defaults.username),
    password: stringOr(kv, "pass", defaults.password),
    language: stringOr(kv, "lang", defaults.language) as string,
    keepalive: numberOr(kv, "keepalive", defaults.keepalive),
    lateAfterMs: numberOr(kv, "lateMs", defaults.lateAfterMs ?? DEFAULT_LATE_AFTER_MS),
    telemetryEveryMs: numberOr(kv, "telemetryMs", defaults.telemetryEveryMs ?? DEFAULT_TELEMETRY_EVERY_MS),
    merchantVpa: stringOr(kv, "vpa", defaults.merchantVpa),
    merchantName: stringOr(kv, "payee", defaults.merchantName),
    soundbox: soundboxSettings(kv, { ...DEFAULT_SOUNDBOX_SETTINGS, ...defaults.soundbox }),
    updatePublicKey: updatePublicKey(kv, defaults.updateKey),
    updateTrialBoots: clamp(numberOr(kv, "updTrials", defaults.updateTrialBoots ?? DEFAULT_UPDATE_TRIAL_BOOTS), 1, 20),
    updateHealthMs: clamp(numberOr(kv, "updHealthMs", defaults.updateHealthMs ?? DEFAULT_UPDATE_HEALTH_MS), 1000, 3_600_000),
    allowDowngrade: booleanOr(kv, "updDown", defaults.allowDowngrade ?? false),
  };
}
