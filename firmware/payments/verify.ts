import type { Crypto } from "../../hal/crypto";
import { constantTimeEqual, concatBytes, utf8Encode } from "../protocol/bytes";
import { CborError, decodeCbor } from "../protocol/cbor";
import { parseConfirmation, type PaymentConfirmation } from "./confirmation";
import type { Envelope } from "./envelope";
import type { Keyring } from "./keyring";
import { Reason, Rejection } from "./reasons";

/** Domain separation: a tag made for another message kind can never verify as a payment. */
export const PAYMENT_TAG_DOMAIN = utf8Encode("payterm/v1/pay\0");

export function paymentTag(primitives: Crypto, key: Uint8Array, body: Uint8Array): Uint8Array {
  return primitives.hmacSha256(key, concatBytes(PAYMENT_TAG_DOMAIN, body));
}

/**
 * Step 3: authenticate the body bytes as received, then parse them. Nothing inside the body is
 * looked at before the tag checks out.
 */
export function verifyConfirmation(envelope: Envelope, keyring: Keyring, primitives: Crypto, deviceId: string): PaymentConfirmation {
  const key = keyring.get(envelope.keyId);
  if (!key) throw new Rejection(Reason.unknownKey, `no key with id "${envelope.keyId}"`);
  if (!constantTimeEqual(paymentTag(primitives, key, envelope.body), envelope.tag))
    throw new Rejection(Reason.badTag, `tag does not match key "${envelope.keyId}"`);
  let body;
  try {
    body = decodeCbor(envelope.body);
  } catch (error) {
    if (error instanceof CborError) throw new Rejection(Reason.badBody, error.message);
    throw error;
  }
  const confirmation = parseConfirmation(body);
  if (confirmation.deviceId !== deviceId)
    throw new Rejection(Reason.wrongDevice, `addressed to ${confirmation.deviceId}`, confirmation.transactionId);
  return confirmation;
}
