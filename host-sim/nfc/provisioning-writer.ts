/**
 * The operator's side of provisioning tags (docs/nfc.md): builds the signed record a technician
 * writes to an NTAG215 and taps on a QR display. The body is CBOR from cbor-x and the signature
 * ECDSA P-256 from @noble/curves, independent of the firmware's CBOR and crypto, so the device's
 * verification is checked against another implementation.
 */
import { p256 } from "@noble/curves/nist.js";
import { encodeNdef, externalRecord } from "../../firmware/nfc/ndef";
import { PROVISIONING_RECORD_TYPE, PROVISIONING_SIGNATURE_DOMAIN } from "../../firmware/nfc/provisioning-tag";
import { encodeProtocolCbor, type CborPlain } from "../service/cbor";
import { ndefTlv, ntag215, type Type2Tag } from "./tags";

export interface ProvisioningTagInput {
  deviceId: string;
  seq: number;
  /** ms since the epoch. */
  expiresAt: number;
  wifi?: { ssid: string; psk: string };
  broker?: { host: string; port: number; tls: boolean };
  merchant?: { vpa: string; name: string };
}

export interface OperatorKeyPair {
  secretKey: Uint8Array;
  /** Uncompressed SEC1 (65 bytes), as the device config holds it. */
  publicKey: Uint8Array;
}

export function operatorKeyPair(secretKey?: Uint8Array): OperatorKeyPair {
  const secret = secretKey ?? p256.utils.randomSecretKey();
  return { secretKey: secret, publicKey: p256.getPublicKey(secret, false) };
}

export function provisioningBody(input: ProvisioningTagInput): Uint8Array {
  const body: { [key: string]: CborPlain } = { v: 1, dev: input.deviceId, seq: input.seq, exp: input.expiresAt };
  if (input.wifi) body.wifi = { ...input.wifi };
  if (input.broker) body.broker = { ...input.broker };
  if (input.merchant) body.merchant = { ...input.merchant };
  return encodeProtocolCbor(body);
}

/** The record payload: `{v, body, sig}`, or without `sig` to make an unsigned tag for tests. */
export function provisioningPayload(body: Uint8Array, secretKey: Uint8Array | undefined): Uint8Array {
  if (!secretKey) return encodeProtocolCbor({ v: 1, body });
  const input = new Uint8Array([...Buffer.from(PROVISIONING_SIGNATURE_DOMAIN, "utf8"), ...body]);
  const sig = p256.sign(input, secretKey, { prehash: true });
  return encodeProtocolCbor({ v: 1, body, sig });
}

export function provisioningMessage(input: ProvisioningTagInput, secretKey: Uint8Array | undefined): Uint8Array {
  return encodeNdef([externalRecord(PROVISIONING_RECORD_TYPE, provisioningPayload(provisioningBody(input), secretKey))]);
}

/** An NTAG215 holding the message, ready for `SimulatedNfc.placeTag`. */
export function provisioningTag(message: Uint8Array, uid = Uint8Array.of(0x04, 0x50, 0x52, 0x4f, 0x56, 0x00, 0x01)): Type2Tag {
  return ntag215("technician's provisioning tag", uid, ndefTlv(message));
}
