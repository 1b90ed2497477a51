/**
 * The device's key-value store: Moddable's `preference` module (NVS on ESP32, a file per domain
 * on the desktop simulator), made atomic across power cuts by preference-kv.ts. Every write
 * passes `checkKvWrite` first, so a write NVS would refuse is refused the same way everywhere.
 * Needs: "preference" ($(MODULES)/files/preference, part of every ESP32 build).
 */
import Preference from "preference";
import { PreferenceKv } from "./preference-kv";

export class PreferenceStore extends PreferenceKv {
  constructor() {
    super(Preference);
  }
}
