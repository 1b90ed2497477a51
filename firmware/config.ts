/**
 * Device configuration: build-time defaults (Moddable's mc/config on the device, options in the
 * simulator), overridden by what provisioning wrote to the "config" domain of the key-value store.
 */
import type { KeyValueStore, KvValue } from "../hal/kv";
import type { WifiSettings } from "../hal/network";
import { DEFAULT_LATE_AFTER_MS } from "./payments/late-policy";
import { fromHex } from "./protocol/bytes";
import { isValidDeviceId } from "./protocol/topics";
import { DEFAULT_SOUNDBOX_SETTINGS, SETTING_RANGES, type SoundboxSettings } from "./soundbox/settings";
import { currencyInfo } from "./money";
import { DEFAULT_BACKOFF, type Backoff } from "./session";
import type { CborValue } from "./protocol/cbor";
import { buildUpi } from "./qr/upi";
import { languageFor } from "./voice/languages";
import { WIFI_KEYS } from "./wifi-settings";

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
  /** "mqtt://host[:port]" or "mqtts://host[:port]"; when set it replaces host, port and TLS above. */
  brokerUrl?: string;
  /**
   * TLS material for mqtts, as references (firmware/broker.ts): "nvs:<name>" for a blob or
   * string that provisioning wrote to the "tls" domain, or PEM text itself. The client key is
   * PKCS#8, which Moddable's TLS requires.
   */
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** The name the broker's certificate must carry, when it is not the host in the URL. */
  tlsServerName?: string;
  /**
   * The operator's key for NFC provisioning tags (docs/nfc.md), hex of the 65-byte uncompressed
   * P-256 point; NVS "opKey" wins. Without one, every provisioning tag is refused.
   */
  operatorKey?: string;
  /** The merchant's static QR payload as provisioning made it (the sticker's code); preferred over vpa/payee. */
  merchantQr?: string;
  /** The MQTT session's reconnect delays (firmware/session.ts); the build's choice, not NVS's. */
  reconnect?: Partial<Backoff>;
  /**
   * The Wi-Fi network to join. NVS config/ssid and config/psk (provisioning, or a signed NFC
   * provisioning tag) win; without either the platform keeps the link it made itself.
   */
  wifi?: WifiSettings;
}

/** Keys `payterm provision` writes to the config domain besides those loadConfig reads (docs/manufacturing.md). */
export const PROVISIONED_KEYS = Object.freeze({
  /** The device id; it replaces the build's or the MAC-derived one (hal/moddable/main.ts). */
  deviceId: "id",
  /** The product the image was made for: firmware for the other product says so at start. */
  product: "product",
  /** The merchant's static QR payload, a UPI link or an EMVCo payload. */
  merchantQr: "qr",
});

/** The device id provisioning wrote, if it wrote a valid one. */
export function provisionedDeviceId(kv: KeyValueStore): string | undefined {
  const id = kv.get(CONFIG_DOMAIN, PROVISIONED_KEYS.deviceId);
  return typeof id === "string" && isValidDeviceId(id) ? id : undefined;
}

/** The product provisioning made this NVS image for, if any. */
export function provisionedProduct(kv: KeyValueStore): string | undefined {
  const product = kv.get(CONFIG_DOMAIN, PROVISIONED_KEYS.product);
  return typeof product === "string" ? product : undefined;
}

export type DeviceConfig = Omit<DeviceDefaults, "soundbox" | "reconnect"> &
  Required<Pick<DeviceDefaults, "lateAfterMs" | "telemetryEveryMs" | "updateTrialBoots" | "updateHealthMs" | "allowDowngrade">> & {
    soundbox: SoundboxSettings;
    reconnect: Backoff;
    /** `updateKey` as bytes, when it is a P-256 point. */
    updatePublicKey: Uint8Array | undefined;
    /** `operatorKey` as bytes, when it is a P-256 point. */
    operatorPublicKey: Uint8Array | undefined;
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
function p256PublicKey(kv: KeyValueStore, name: string, fallbackHex: string | undefined): Uint8Array | undefined {
  const stored = kv.get(CONFIG_DOMAIN, name);
  const key = stored instanceof ArrayBuffer ? new Uint8Array(stored) : fromHex(typeof stored === "string" ? stored : (fallbackHex ?? ""));
  return key && key.length === P256_POINT_BYTES && key[0] === 0x04 ? key : undefined;
}

/** NVS ssid (with psk, "" when absent: an open network) wins over the build's; an empty ssid is none. */
function wifiSettings(kv: KeyValueStore, fallback: WifiSettings | undefined): WifiSettings | undefined {
  const ssid = kv.get(CONFIG_DOMAIN, WIFI_KEYS.ssid);
  if (typeof ssid === "string" && ssid !== "") {
    const psk = kv.get(CONFIG_DOMAIN, WIFI_KEYS.psk);
    return { ssid, psk: typeof psk === "string" ? psk : "" };
  }
  return fallback?.ssid ? { ...fallback } : undefined;
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
    updatePublicKey: p256PublicKey(kv, "updKey", defaults.updateKey),
    updateTrialBoots: clamp(numberOr(kv, "updTrials", defaults.updateTrialBoots ?? DEFAULT_UPDATE_TRIAL_BOOTS), 1, 20),
    updateHealthMs: clamp(numberOr(kv, "updHealthMs", defaults.updateHealthMs ?? DEFAULT_UPDATE_HEALTH_MS), 1000, 3_600_000),
    allowDowngrade: booleanOr(kv, "updDown", defaults.allowDowngrade ?? false),
    brokerUrl: stringOr(kv, "url", defaults.brokerUrl),
    tlsCa: stringOr(kv, "tlsCa", defaults.tlsCa),
    tlsCert: stringOr(kv, "tlsCert", defaults.tlsCert),
    tlsKey: stringOr(kv, "tlsKey", defaults.tlsKey),
    tlsServerName: stringOr(kv, "tlsName", defaults.tlsServerName),
    operatorPublicKey: p256PublicKey(kv, "opKey", defaults.operatorKey),
    merchantQr: stringOr(kv, PROVISIONED_KEYS.merchantQr, defaults.merchantQr),
    reconnect: { ...DEFAULT_BACKOFF, ...defaults.reconnect },
    wifi: wifiSettings(kv, defaults.wifi),
  };
}

/**
 * A setting the service may change with the `config` command (firmware/commands/config.ts).
 * Broker address, credentials and TLS material are not among them: a wrong value there would cut
 * the device off from the service that could correct it; provisioning sets those.
 */
export interface RemoteSetting {
  /** Its key in the config domain, where loadConfig reads it. */
  key: string;
  /** The value to store, or why the wire value is refused. */
  parse(value: CborValue): KvValue | { refused: string };
  /** Its current value, in the wire's unit, from a loaded config. */
  read(config: DeviceConfig): string | number | undefined;
  /** Takes effect at once; otherwise at the next start. */
  live: boolean;
}

function integerSetting(key: string, min: number, max: number, live: boolean, read: (c: DeviceConfig) => number | undefined, scale = 1): RemoteSetting {
  return {
    key,
    live,
    read: (config) => {
      const value = read(config);
      return value === undefined ? undefined : value / scale;
    },
    parse: (value) =>
      typeof value === "number" && Number.isInteger(value) && value >= min && value <= max ? value * scale : { refused: `must be an integer from ${min} to ${max}` },
  };
}

function textSetting(key: string, live: boolean, read: (c: DeviceConfig) => string | undefined, check: (value: string) => string | undefined): RemoteSetting {
  return {
    key,
    live,
    read,
    parse: (value) => {
      if (typeof value !== "string") return { refused: "must be text" };
      const problem = check(value);
      return problem === undefined ? value : { refused: problem };
    },
  };
}

function upiProblem(pa: string, pn: string): string | undefined {
  try {
    buildUpi({ pa, pn });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Settings by their wire name. Features add theirs here. */
export const REMOTE_SETTINGS: Readonly<Record<string, RemoteSetting>> = Object.freeze({
  lang: textSetting("lang", false, (c) => c.language, (code) => (languageFor(code) ? undefined : `language "${code}" is not in this firmware`)),
  lateMin: integerSetting("lateMs", 0, 24 * 60, true, (c) => c.lateAfterMs, 60_000),
  telemetrySec: integerSetting("telemetryMs", 10, 24 * 60 * 60, true, (c) => c.telemetryEveryMs, 1000),
  keepalive: integerSetting("keepalive", 10, 1200, false, (c) => c.keepalive),
  vpa: textSetting("vpa", false, (c) => c.merchantVpa, (vpa) => upiProblem(vpa, "name")),
  payee: textSetting("payee", false, (c) => c.merchantName, (name) => upiProblem("name@bank", name)),
  burstDepth: integerSetting("burstDepth", SETTING_RANGES.burstDepth[0], SETTING_RANGES.burstDepth[1], false, (c) => c.soundbox.burstDepth),
  replayCount: integerSetting("replayCount", SETTING_RANGES.replayCount[0], SETTING_RANGES.replayCount[1], false, (c) => c.soundbox.replayCount),
  tzMin: integerSetting("tzMin", SETTING_RANGES.tzOffsetMinutes[0], SETTING_RANGES.tzOffsetMinutes[1], false, (c) => c.soundbox.tzOffsetMinutes),
  currency: textSetting("currency", false, (c) => c.soundbox.homeCurrency, (code) => (currencyInfo(code) ? undefined : `currency "${code}" is not supported`)),
});
