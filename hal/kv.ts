/**
 * Key-value store with the semantics of ESP-IDF NVS as Moddable's `preference` exposes it:
 * a domain is an NVS namespace, names are at most 15 characters, values at most 4000 bytes,
 * numbers are stored as signed 32-bit integers.
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
  /** Moddable's preference module refuses values over 4000 bytes (strings and blobs). */
  valueBytes: 4000,
});

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

/** The checks every store applies before a write, so the simulator refuses what a device would. */
export function checkKvWrite(domain: string, key: string, value: KvValue): void {
  checkName("domain", domain);
  checkName("key", key);
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
