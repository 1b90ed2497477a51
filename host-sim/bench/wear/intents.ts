/**
 * What the ESP32 writes for each write the firmware makes. The bench records at the key-value
 * HAL, above the device's store (hal/moddable/preference-kv.ts), which makes each change atomic
 * with an intent record: a set is the intent written (the key and value again, in a blob), the
 * key written, the intent erased; a delete of a held key is a tombstone intent written, the key
 * erased, the intent erased. Sizes come from the store's own encoder (kv-intent.ts); a unit test
 * holds this against the store itself.
 */
import { KV_RESERVED_KEY } from "../../../hal/kv";
import { encodeIntent } from "../../../hal/moddable/kv-intent";
import { nvsItemEntries, nvsItemOf } from "../../provision/nvs/kv-image";
import type { KvWrite } from "./counting-kv";

export function throughIntent(write: KvWrite): KvWrite[] {
  const record = encodeIntent({ key: write.key, value: write.op === "set" ? write.value : undefined });
  const item = nvsItemOf(record);
  return [
    { op: "set", domain: write.domain, key: KV_RESERVED_KEY, item, entries: nvsItemEntries(item), value: record },
    write,
    { op: "delete", domain: write.domain, key: KV_RESERVED_KEY },
  ];
}

export function throughIntents(writes: readonly KvWrite[]): KvWrite[] {
  return writes.flatMap(throughIntent);
}
