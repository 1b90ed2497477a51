/**
 * The `config` command: set device settings (firmware/config.ts REMOTE_SETTINGS) in the
 * key-value store's config domain.
 *
 *   args: {<setting>: value | null, ...}   null returns a setting to its build-time default
 *   res:  {values: {<setting>: current value, ...}, restart: [settings that apply at next start]}
 *
 * All settings are checked before any is written, so a command with one bad setting changes
 * nothing. With no arguments it only reports the current values.
 */
import type { KeyValueStore, KvValue } from "../../hal/kv";
import type { Log } from "../../hal/log";
import { CONFIG_DOMAIN, loadConfig, REMOTE_SETTINGS, type DeviceConfig, type DeviceDefaults } from "../config";
import type { CborMap, CborValue } from "../protocol/cbor";
import { refuse } from "./args";
import type { CommandHandler } from "./dispatcher";

export interface ConfigCommandOptions {
  kv: KeyValueStore;
  defaults: DeviceDefaults;
  log: Log;
  /** Called with the reloaded config and the settings that changed, so live ones take effect. */
  onApplied(config: DeviceConfig, changed: string[]): void;
}

function values(config: DeviceConfig): CborMap {
  const out: CborMap = {};
  for (const name of Object.keys(REMOTE_SETTINGS)) {
    const value = REMOTE_SETTINGS[name].read(config);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function configCommand(o: ConfigCommandOptions): CommandHandler {
  return ({ args }) => {
    const writes: { name: string; key: string; value: KvValue | null }[] = [];
    for (const name of args.names()) {
      const setting = Object.prototype.hasOwnProperty.call(REMOTE_SETTINGS, name) ? REMOTE_SETTINGS[name] : undefined;
      if (!setting) refuse(`unknown setting "${name}"; known: ${Object.keys(REMOTE_SETTINGS).join(", ")}`);
      const value = args.value(name) as CborValue;
      if (value === null) {
        writes.push({ name, key: setting.key, value: null });
        continue;
      }
      const parsed = setting.parse(value);
      if (typeof parsed === "object" && !(parsed instanceof ArrayBuffer)) refuse(`setting "${name}" ${parsed.refused}`);
      writes.push({ name, key: setting.key, value: parsed });
    }
    args.done();
    for (const write of writes) {
      if (write.value === null) o.kv.delete(CONFIG_DOMAIN, write.key);
      else o.kv.set(CONFIG_DOMAIN, write.key, write.value);
    }
    const config = loadConfig(o.kv, o.defaults);
    const changed = writes.map((w) => w.name);
    if (changed.length > 0) {
      o.log.event("info", "config-changed", { settings: changed.join(" ") });
      o.onApplied(config, changed);
    }
    return { values: values(config), restart: changed.filter((name) => !REMOTE_SETTINGS[name].live) };
  };
}
