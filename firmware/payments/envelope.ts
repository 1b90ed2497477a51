import { CborError, decodeCbor, isCborMap } from "../protocol/cbor";
import { PROTOCOL_VERSION } from "./confirmation";
import { Reason, Rejection } from "./reasons";

/** Larger payloads are refused before parsing; a v1 envelope is well under 512 bytes. */
export const MAX_MESSAGE_BYTES = 1024;

export interface Envelope {
  keyId: string;
  body: Uint8Array;
  tag: Uint8Array;
}

/** Step 2 of the pipeline: raw MQTT payload to an envelope whose body is still unauthenticated. */
export function decodeEnvelope(payload: Uint8Array): Envelope {
  if (payload.length > MAX_MESSAGE_BYTES)
    throw new Rejection(Reason.tooLarge, `payload of ${payload.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  let value;
  try {
    value = decodeCbor(payload);
  } catch (error) {
    if (error instanceof CborError) throw new Rejection(Reason.notCbor, error.message);
    throw error;
  }
  if (!isCborMap(value)) throw new Rejection(Reason.badEnvelope, "envelope is not a map");
  if (value.v !== PROTOCOL_VERSION)
    throw new Rejection(Reason.unsupportedVersion, `envelope version ${String(value.v)} is not ${PROTOCOL_VERSION}`);
  const { kid, body, tag } = value;
  if (typeof kid !== "string" || kid.length === 0 || kid.length > 15)
    throw new Rejection(Reason.badEnvelope, '"kid" must be a string of 1 to 15 characters');
  if (!(body instanceof Uint8Array)) throw new Rejection(Reason.badEnvelope, '"body" must be a byte string');
  if (!(tag instanceof Uint8Array) || tag.length !== 32)
    throw new Rejection(Reason.badEnvelope, '"tag" must be a 32-byte string');
  return { keyId: kid, body, tag };
}
