/**
 * The Moddable entry point (the manifest's `creation.main`): builds the HAL for the product
 * named in mc/config and starts the firmware. The runtime calls the default export after its
 * setup modules have run (Wi-Fi joined, `screen` created).
 * Needs: "mc/config" and the modules of the HAL parts the product uses (see each file).
 *
 * mc/config keys (manifest "config"; flat ones can be overridden on the mcconfig command line,
 * e.g. `mcconfig -m -p lin product=qr-display brokerPort=1884`, which passes them as strings):
 *   product          "soundbox" | "qr-display"
 *   firmwareVersion  string
 *   deviceId         string, empty for "pt-<MAC>"; the id `payterm provision` wrote to NVS wins
 *   brokerHost, brokerPort, brokerTls, keepalive, language   firmware defaults (DeviceDefaults)
 *   brokerUrl, tlsCa, tlsCert, tlsKey, tlsServerName          the same; TLS material as
 *                    references, "nvs:<name>" in the "tls" domain (firmware/broker.ts)
 *   dns              DNS server for broker host names
 *   audio            "i2s" (pins/audioout), "timed" (simulator: no sound, real durations), "none"
 *   sampleRate       the voice clips' rate, equal to defines.audioOut.sampleRate
 *   logLevel         "debug" | "info" | "warn" | "error"
 *   buttons          { volumeUp: pin, ... }
 *   nfc              { data, clock, hz?, port?, irq? } PN532 on I2C
 *   battery          BatteryOptions (power.ts)
 *   updates          {voicePartitions?: [label, label]}: signed updates (update.ts); absent, none
 *   updateKey        the operator's release key, hex (NVS config/updKey wins)
 *   updateTrialBoots, updateHealthMs   trial of a new image (firmware/update/agent.ts)
 */
import config from "mc/config";
import { startDevice } from "../../firmware/device";
import { provisionedDeviceId, type DeviceDefaults } from "../../firmware/config";
import type { Hal } from "../index";
import type { ButtonId } from "../buttons";
import type { LogLevel } from "../log";
import type { Product } from "../system";
import { PinsAudioOut } from "./audio";
import { TimedAudioOut } from "./audio-timed";
import { GpioButtons, type ButtonPins } from "./buttons";
import { ModdableClock, ModdableTimers } from "./clock";
import { CryptCrypto } from "./crypto";
import { PocoDisplay } from "./display";
import { PreferenceStore } from "./kv";
import { TraceLog } from "./log";
import { ModdableMqtt } from "./mqtt";
import { WifiNetwork } from "./network";
import { I2cByteTransport, type NfcI2cOptions } from "./nfc-i2c";
import { AdcPower, type BatteryOptions } from "./power";
import { NativeQrEncoder } from "./qr";
import { ModdableSystem } from "./system";
import { ModdableUpdateStorage } from "./update";

const PRODUCTS: readonly Product[] = ["soundbox", "qr-display"];
const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const BUTTONS: readonly ButtonId[] = ["volumeUp", "volumeDown", "replay", "power", "function"];

function setting(name: string): unknown {
  return (config as Record<string, unknown>)[name];
}

function text(name: string, fallback: string): string {
  const value = setting(name);
  return typeof value === "string" ? value : fallback;
}

/** Numbers from the manifest, or digits from the command line. */
function integer(name: string, fallback: number): number {
  const value = setting(name);
  const parsed = typeof value === "string" && value !== "" ? Number(value) : value;
  return typeof parsed === "number" && Number.isInteger(parsed) ? parsed : fallback;
}

function flag(name: string, fallback: boolean): boolean {
  const value = setting(name);
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  return fallback;
}

function oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const value = setting(name);
  const found = allowed.find((candidate) => candidate === value);
  if (value !== undefined && found === undefined) throw new Error(`mc/config ${name}: ${String(value)} is not one of ${allowed.join(", ")}`);
  return found ?? fallback;
}

function record(name: string): Record<string, unknown> | undefined {
  const value = setting(name);
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
}

function pin(from: Record<string, unknown>, key: string): number | undefined {
  const value = from[key];
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function buttonPins(): ButtonPins {
  const pins: ButtonPins = {};
  const table = record("buttons");
  if (!table) return pins;
  for (const id of BUTTONS) {
    const gpio = pin(table, id);
    if (gpio !== undefined) pins[id] = gpio;
  }
  return pins;
}

function nfcOptions(): NfcI2cOptions | undefined {
  const table = record("nfc");
  if (!table) return undefined;
  const data = pin(table, "data");
  const clock = pin(table, "clock");
  if (data === undefined || clock === undefined) return undefined;
  const options: NfcI2cOptions = { data, clock };
  const hz = pin(table, "hz");
  const port = pin(table, "port");
  const irq = pin(table, "irq");
  if (hz !== undefined) options.hz = hz;
  if (port !== undefined) options.port = port;
  if (irq !== undefined) options.irq = irq;
  return options;
}

function batteryOptions(): BatteryOptions | undefined {
  const table = record("battery");
  if (!table) return undefined;
  const numbers: Partial<Record<keyof BatteryOptions, number>> = {};
  for (const key of ["pin", "divider", "fullScale", "empty", "full", "chargingPin", "sampleMs"] as const) {
    const value = table[key];
    if (typeof value === "number") numbers[key] = value;
  }
  const { pin: adcPin, divider, fullScale, empty, full } = numbers;
  if (adcPin === undefined || divider === undefined || fullScale === undefined || empty === undefined || full === undefined)
    return undefined;
  const options: BatteryOptions = { pin: adcPin, divider, fullScale, empty, full };
  if (numbers.chargingPin !== undefined) options.chargingPin = numbers.chargingPin;
  if (numbers.sampleMs !== undefined) options.sampleMs = numbers.sampleMs;
  return options;
}

function deviceDefaults(): DeviceDefaults {
  const defaults: DeviceDefaults = {
    brokerHost: text("brokerHost", "127.0.0.1"),
    brokerPort: integer("brokerPort", 1883),
    brokerTls: flag("brokerTls", false),
    language: text("language", "en-in"),
    keepalive: integer("keepalive", 60),
  };
  const username = text("brokerUser", "");
  const password = text("brokerPassword", "");
  if (username) defaults.username = username;
  if (password) defaults.password = password;
  const brokerUrl = text("brokerUrl", "");
  if (brokerUrl) defaults.brokerUrl = brokerUrl;
  for (const name of ["tlsCa", "tlsCert", "tlsKey", "tlsServerName"] as const) {
    const reference = text(name, "");
    if (reference) defaults[name] = reference;
  }
  const updateKey = text("updateKey", "");
  if (updateKey) defaults.updateKey = updateKey;
  const trialBoots = integer("updateTrialBoots", 0);
  if (trialBoots > 0) defaults.updateTrialBoots = trialBoots;
  const healthMs = integer("updateHealthMs", 0);
  if (healthMs > 0) defaults.updateHealthMs = healthMs;
  return defaults;
}

/** mc/config `updates`: {voicePartitions?: [label, label]} on boards whose partition table has OTA slots. */
function updateStorage(hal: Hal): ModdableUpdateStorage | undefined {
  const table = record("updates");
  if (!table) return undefined;
  const labels = table.voicePartitions;
  const voicePartitions =
    Array.isArray(labels) && labels.length === 2 && labels.every((label) => typeof label === "string") ? (labels as [string, string]) : undefined;
  try {
    return new ModdableUpdateStorage({ kv: hal.kv, primitives: hal.crypto, log: hal.log, voicePartitions });
  } catch (error) {
    // No OTA partitions (a table without ota_0/ota_1): the device runs, without updates.
    hal.log.event("error", "update-storage-unavailable", { detail: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

export function buildHal(): Hal {
  const product = oneOf("product", PRODUCTS, "soundbox");
  const clock = new ModdableClock();
  const kv = new PreferenceStore();
  const log = new TraceLog({ level: oneOf("logLevel", LOG_LEVELS, "info"), clock: () => clock.now() });
  const hal: Hal = {
    clock,
    timers: new ModdableTimers(),
    kv,
    mqtt: new ModdableMqtt({ dnsServers: [text("dns", "1.1.1.1")], log }),
    crypto: new CryptCrypto(),
    buttons: new GpioButtons(buttonPins()),
    power: new AdcPower(batteryOptions()),
    network: new WifiNetwork(),
    system: new ModdableSystem({ product, firmwareVersion: text("firmwareVersion", "0.0.0"), deviceId: provisionedDeviceId(kv) ?? text("deviceId", ""), log }),
    log,
  };
  if (product === "soundbox") {
    // mcrez names resources by file name only: the build carries one voice pack, at the top.
    const prefix = "";
    const audio = oneOf("audio", ["i2s", "timed", "none"] as const, "i2s");
    const sampleRate = integer("sampleRate", 8000);
    if (audio === "i2s") hal.audio = new PinsAudioOut({ prefix, sampleRate });
    else if (audio === "timed") hal.audio = new TimedAudioOut({ prefix, sampleRate });
  } else {
    if (typeof screen !== "undefined") hal.display = new PocoDisplay(screen);
    else log.event("warn", "no-screen");
    hal.qr = new NativeQrEncoder();
    const nfc = nfcOptions();
    if (nfc) hal.nfc = new I2cByteTransport(nfc);
  }
  // Last: constructing it is the boot path's step, which may roll back a trial image.
  const update = updateStorage(hal);
  if (update) hal.update = update;
  return hal;
}

export default function main(): void {
  try {
    const hal = buildHal();
    if (hal.update instanceof ModdableUpdateStorage && hal.update.restartRequired) {
      // The trial image used its boots; the previous one boots next.
      hal.system.restart();
      return;
    }
    startDevice(hal, deviceDefaults());
  } catch (error) {
    // The runtime reports only "unhandled exception"; say what it was before it aborts.
    trace(`payterm start failed: ${error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error)}\n`);
    throw error;
  }
}
