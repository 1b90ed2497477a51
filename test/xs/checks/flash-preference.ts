/**
 * A test double of Moddable's `preference` module on ESP32, with power cuts. It behaves as the
 * SDK's modPreference.c (SDK 8.2.3) is documented and read to behave, written here from that
 * reading:
 *   - a domain is an NVS namespace of its own; a key holds a u8 (boolean), an i32, a string or a
 *     blob; values are limited to 4000 bytes (the SDK's documented limit);
 *   - set(domain, key, value) erases the key, then writes the new item: two flash operations
 *     (the erase only when the key exists: ESP-IDF writes nothing to erase a missing key);
 *   - delete(domain, key) erases the key: one flash operation, or none for a missing key.
 * Each primitive is atomic, as ESP-IDF makes an item write or erase. `cutAfter(n)` loses the
 * power right after the n-th primitive from now: that one is on flash, and every later call
 * throws PowerCut until `powerOn()`, which is the reboot. The namespaces are the flash: what a
 * new store over the same NvsFlash sees is what survived.
 */
import type { KvValue } from "../../../hal/kv";
import type { PreferenceModule } from "../../../hal/moddable/preference-kv";

export class PowerCut extends Error {
  constructor() {
    super("power cut");
    this.name = "PowerCut";
  }
}

const VALUE_LIMIT = 4000;

function copy(value: KvValue): KvValue {
  return value instanceof ArrayBuffer ? value.slice(0) : value;
}

function byteLength(value: KvValue): number {
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (typeof value !== "string") return 0;
  let bytes = 1;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    bytes += unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
  }
  return bytes;
}

export class NvsFlash implements PreferenceModule {
  readonly namespaces = new Map<string, Map<string, KvValue>>();
  /** Primitive flash operations (erases and writes) done so far. */
  operations = 0;
  /** When true every item write fails as a full or failing flash would; the power stays on. */
  failWrites = false;
  #cutAt: number | undefined;
  #powered = true;

  /** Loses the power right after the `n`-th primitive operation from now (n >= 1). */
  cutAfter(n: number): void {
    this.#cutAt = this.operations + n;
  }

  get powered(): boolean {
    return this.#powered;
  }

  /** The reboot: the flash keeps what it holds, nothing is pending. */
  powerOn(): void {
    this.#powered = true;
    this.#cutAt = undefined;
  }

  get(domain: string, key: string): KvValue | undefined {
    this.#alive();
    const value = this.namespaces.get(domain)?.get(key);
    return value === undefined ? undefined : copy(value);
  }

  set(domain: string, key: string, value: KvValue): void {
    this.#alive();
    if (typeof value === "number" && !Number.isInteger(value)) throw new Error("float unsupported");
    if (byteLength(value) > VALUE_LIMIT) throw new Error("nvs set fail");
    this.#erase(domain, key);
    if (this.failWrites) throw new Error("nvs set fail");
    let namespace = this.namespaces.get(domain);
    if (!namespace) this.namespaces.set(domain, (namespace = new Map()));
    const target = namespace;
    this.#primitive(() => target.set(key, copy(value)));
  }

  delete(domain: string, key: string): void {
    this.#alive();
    this.#erase(domain, key);
  }

  keys(domain: string): string[] {
    this.#alive();
    return [...(this.namespaces.get(domain)?.keys() ?? [])];
  }

  #erase(domain: string, key: string): void {
    const namespace = this.namespaces.get(domain);
    if (namespace?.has(key)) this.#primitive(() => namespace.delete(key));
  }

  #primitive(apply: () => void): void {
    this.#alive();
    apply();
    this.operations++;
    if (this.#cutAt !== undefined && this.operations >= this.#cutAt) {
      this.#powered = false;
      throw new PowerCut();
    }
  }

  #alive(): void {
    if (!this.#powered) throw new PowerCut();
  }
}
