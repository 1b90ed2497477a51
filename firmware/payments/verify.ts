import type { Crypto } from "../../hal/crypto";
import { constantTimeEqual } from "../protocol/bytes";
import { CborError, decodeCbor, type CborValue } from "../protocol/cbor";
import { messageTag, type MessageKind } from "../protocol/tag";
import { parseConfirmation, type PaymentConfirmation } from "./confirmation";
import type { Envelope } from "./envelope";
import type { Keyring } from "./keyring";
import { Reason, Rejection } from "./reasons";

export function paymentTag(primitives: Crypto, key: Uint8Array, body: Uint8Array): Uint8Array {
  return messageTag(primitives, key, "payment", body);
}

/**
 * Authenticates the body bytes as received for one message kind, then decodes them. Nothing
 * inside the body is looked at before the tag checks out.
 */
export function authenticateEnvelope(envelope: Envelope, kind: MessageKind, keyring: Keyring, primitives: Crypto): CborValue {
  const key = keyring.get(envelope.keyId);
  if (!key) throw new Rejection(Reason.unknownKey, `no key with id "${envelope.keyId}"`);
  if (!constantTimeEqual(messageTag(primitives, key, kind, envelope.body), envelope.tag))
    throw new Rejection(Reason.badTag, `tag does not match key "${envelope.keyId}"`);
  try {
    return decodeCbor(envelope.body);
  } catch (error) {
    if (error instanceof CborError) throw new Rejection(Reason.badBody, error.message);
    throw error;
  }
}

/** Step 3 of the payment pipeline: an authenticated, well-formed confirmation for this device. */
export function verifyConfirmation(envelope: Envelope, keyring: Keyring, primitives: Crypto, deviceId: string): PaymentConfirmation {
  const confirmation = parseConfirmation(authenticateEnvelope(envelope, "payment", keyring, primitives));
  if (confirmation.deviceId !== deviceId)
    throw new Rejection(Reason.wrongDevice, `addressed to ${confirmation.deviceId}`, confirmation.transactionId);
  return confirmation;
}
