/**
 * Fresh identities and secrets. Everything random comes from the operating system's CSPRNG.
 * Device ids are `<prefix>-<sb|qr>-<10 base32 characters>`: short enough for any broker's client
 * id limit (MQTT 3.1.1 promises 23 characters), unguessable enough (50 bits) that ids leak nothing
 * about batch sizes, and valid topic levels (firmware/protocol/topics.ts).
 */
import { randomBytes } from "node:crypto";
import type { Product } from "../../hal/system";
import { isValidDeviceId } from "../../firmware/protocol/topics";

const BASE32 = "abcdefghijkmnpqrstuvwxyz23456789"; // no l, o, 0, 1: ids get read aloud and typed
const PRODUCT_CODE: Record<Product, string> = { soundbox: "sb", "qr-display": "qr" };

export const ID_PREFIX = /^[a-z0-9]{1,8}$/;

export function newDeviceId(prefix: string, product: Product, taken: ReadonlySet<string>): string {
  for (;;) {
    const bytes = randomBytes(10);
    let suffix = "";
    for (const byte of bytes) suffix += BASE32[byte & 31];
    const id = `${prefix}-${PRODUCT_CODE[product]}-${suffix}`;
    if (!isValidDeviceId(id)) throw new Error(`device id prefix ${JSON.stringify(prefix)} makes invalid ids`);
    if (!taken.has(id)) return id;
  }
}

export function newHmacKeyHex(): string {
  return randomBytes(32).toString("hex");
}

/** k1, k2, ...: a reflash after --rotate carries a key id the service has never seen for the device. */
export function nextKeyId(previous: string | undefined): string {
  const match = previous === undefined ? undefined : /^k(\d+)$/.exec(previous);
  return `k${match ? Number(match[1]) + 1 : 1}`;
}

/** 24 random bytes as base64url: 32 characters, 192 bits, no characters a config file could mangle. */
export function newPassword(): string {
  return randomBytes(24).toString("base64url");
}
