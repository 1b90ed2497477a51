import type { KeyValueStore } from "../../hal/kv";

/** Where per-device HMAC keys live: one NVS blob per key id. */
export const KEYRING_DOMAIN = "keys";

/** Keys are 32 random bytes; shorter ones are refused so a provisioning mistake cannot weaken them. */
export const HMAC_KEY_BYTES = 32;

export class Keyring {
  constructor(private readonly kv: KeyValueStore) {}

  get(keyId: string): Uint8Array | undefined {
    if (keyId.length === 0 || keyId.length > 15) return undefined;
    const stored = this.kv.get(KEYRING_DOMAIN, keyId);
    if (!(stored instanceof ArrayBuffer) || stored.byteLength !== HMAC_KEY_BYTES) return undefined;
    return new Uint8Array(stored);
  }

  put(keyId: string, key: Uint8Array): void {
    if (key.length !== HMAC_KEY_BYTES) throw new RangeError(`HMAC keys are ${HMAC_KEY_BYTES} bytes, got ${key.length}`);
    this.kv.set(KEYRING_DOMAIN, keyId, key.slice().buffer);
  }

  remove(keyId: string): void {
    this.kv.delete(KEYRING_DOMAIN, keyId);
  }

  ids(): string[] {
    return this.kv.keys(KEYRING_DOMAIN);
  }
}
