import type { Crypto } from "../../hal/crypto";
import { concatBytes, utf8Encode } from "./bytes";

/**
 * Domain separation for HMAC tags: each message kind is tagged over its own prefix, so a tag
 * made for one kind (a charge request, a command) can never verify as another (a payment).
 */
export const TAG_DOMAINS = {
  payment: "payterm/v1/pay\0",
  command: "payterm/v1/cmd\0",
  charge: "payterm/v1/charge\0",
  /** A tapped NFC card or tag, device -> service (firmware/nfc/tap.ts). */
  tap: "payterm/v1/tap\0",
} as const;

export type MessageKind = keyof typeof TAG_DOMAINS;

const domainBytes: Record<MessageKind, Uint8Array> = {
  payment: utf8Encode(TAG_DOMAINS.payment),
  command: utf8Encode(TAG_DOMAINS.command),
  charge: utf8Encode(TAG_DOMAINS.charge),
  tap: utf8Encode(TAG_DOMAINS.tap),
};

export function messageTag(primitives: Crypto, key: Uint8Array, kind: MessageKind, body: Uint8Array): Uint8Array {
  return primitives.hmacSha256(key, concatBytes(domainBytes[kind], body));
}
