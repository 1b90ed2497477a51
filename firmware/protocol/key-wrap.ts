import type { Crypto } from "../../hal/crypto";
import { concatBytes, utf8Encode } from "./bytes";

/**
 * A new device key travels inside a rotate-key command, which is authenticated but not
 * encrypted: the broker, and anyone who can read the topic, would see it. So the key is masked
 * with a pad only the holder of the authenticating key can compute:
 *
 *   pad  = HMAC-SHA256(authenticating key, "payterm/v1/keywrap" || 0x00 || command id || 0x00 || new key id)
 *   wkey = new key XOR pad
 *
 * The command id is unique (the device refuses a replayed one), so no pad is used twice. The
 * tag over the command body covers `wkey`, so it cannot be altered either.
 */
export const KEY_WRAP_DOMAIN = "payterm/v1/keywrap\0";

const domainBytes = utf8Encode(KEY_WRAP_DOMAIN);
const SEPARATOR = new Uint8Array([0]);

export function keyWrapPad(primitives: Crypto, key: Uint8Array, commandId: string, keyId: string): Uint8Array {
  return primitives.hmacSha256(key, concatBytes(domainBytes, utf8Encode(commandId), SEPARATOR, utf8Encode(keyId)));
}

/** XOR of two equal-length byte strings; wrapping and unwrapping are the same operation. */
export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError(`cannot XOR ${a.length} bytes with ${b.length}`);
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}
