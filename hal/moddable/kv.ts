/**
 * Key-value store on Moddable's `preference` module (NVS on ESP32, a file per domain on the
 * desktop simulator). Every write passes `checkKvWrite` first, so a write NVS would refuse is
 * refused the same way on every platform.
 * Needs: "preference" ($(MODULES)/files/preference, part of every ESP32 build).
 */
import Preference from "preference";
import { checkKvWrite, KvError, type KeyValueStore, type KvValue } from "../kv";

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class PreferenceStore implements KeyValueStore {
  get(domain: string, key: string): KvValue | undefined {
    return Preference.get(domain, key);
  }

  set(domain: string, key: string, value: KvValue): void {
    checkKvWrite(domain, key, value);
    try {
      Preference.set(domain, key, value);
    } catch (error) {
      // NVS full, flash failure: nothing was stored.
      throw new KvError("storage", `${domain}/${key}: ${describe(error)}`);
    }
  }

  delete(domain: string, key: string): void {
    try {
      Preference.delete(domain, key);
    } catch (error) {
      throw new KvError("storage", `${domain}/${key}: ${describe(error)}`);
    }
  }

  keys(domain: string): string[] {
    return Preference.keys(domain);
  }
}
