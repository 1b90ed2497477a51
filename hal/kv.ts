/**
 * Key-value store with the semantics of ESP-IDF NVS as Moddable's `preference` exposes it:
 * a domain is an NVS namespace, names are at most 15 characters, values at most 3968 bytes,
 * numbers are stored as signed 32-bit integers. One key name is reserved in every domain for the
 * device's own bookkeeping (KV_RESERVED_KEY).
 */
import { utf8Length } from "./utf8";

export type KvValue = string | number | boolean | ArrayBuffer;

export interface KeyValueStore {
  get(domain: string, key: string): KvValue | undefined;
  /** Throws KvError when the write breaks an NVS limit; nothing is stored then. */
  set(domain: string, key: string, value: KvValue): void;
  delete(domain: string, key: string): void;
  keys(domain: string): string[];
}

export const NVS_LIMITS = Object.freeze({
  /** NVS_KEY_NAME_MAX_SIZE is 16 including the terminating NUL. */
  nameLength: 15,
  /**
   * Strings (with their NUL) and blobs. The ESP32 store writes each change to an intent record
   * first (hal/moddable/preference-kv.ts): the value plus a header of at most 17 bytes, in one
   * value Moddable's preference module keeps up to 4000 bytes. 3968 leaves room for the header,
   * and is also the largest string (with its NUL) ESP-IDF's image generator can place.
   */
  valueBytes: 3968,
});

/**
 * The ESP32 store's intent record lives under this name in every domain it writes. Every store
 * refuses it (checkKvWrite), so the simulator refuses what a device would and no firmware key can
 * ever collide with it.
 */
export const KV_RESERVED_KEY = "~intent";

export class KvError extends Error {
  constructor(readonly code: "name" | "type" | "size" | "range" | "storage", message: string) {
    super(message);
    this.name = "KvError";
  }
}

function checkName(kind: "domain" | "key", name: string): void {
  if (typeof name !== "string" || name.length === 0 || name.length > NVS_LIMITS.nameLength)
    throw new KvError("name", `${kind} name must be 1 to ${NVS_LIMITS.nameLength} characters: ${JSON.stringify(name)}`);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) throw new KvError("name", `${kind} name must be printable ASCII: ${JSON.stringify(name)}`);
  }
}

/** Names a write or a delete may use: NVS names, and never the reserved key. */
export function checkKvNames(domain: string, key: string): void {
  checkName("domain", domain);
  checkName("key", key);
  if (key === KV_RESERVED_KEY) throw new KvError("name", `${domain}/${key}: the key name ${KV_RESERVED_KEY} is reserved for the store`);
}

/** The checks every store applies before a write, so the simulator refuses what a device would. */
export function checkKvWrite(domain: string, key: string, value: KvValue): void {
  checkKvNames(domain, key);
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff)
      throw new KvError("range", `${domain}/${key}: numbers are stored as int32, got ${value}`);
  } else if (typeof value === "string") {
    const bytes = utf8Length(value) + 1;
    if (bytes > NVS_LIMITS.valueBytes)
      throw new KvError("size", `${domain}/${key}: string of ${bytes} bytes (with NUL) exceeds ${NVS_LIMITS.valueBytes}`);
  } else if (value instanceof ArrayBuffer) {
    if (value.byteLength > NVS_LIMITS.valueBytes)
      throw new KvError("size", `${domain}/${key}: blob of ${value.byteLength} bytes exceeds ${NVS_LIMITS.valueBytes}`);
  } else if (typeof value !== "boolean") {
    throw new KvError("type", `${domain}/${key}: unsupported value type ${typeof value}`);
  }
}
