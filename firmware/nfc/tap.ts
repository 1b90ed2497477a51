/**
 * A tapped card or tag, as the QR display tells the payment service (docs/protocol.md, "NFC
 * taps"): on pt/v1/{id}/tap, QoS 1, in the same authenticated envelope the service uses towards
 * the device, tagged with the device key over the "tap" domain.
 *
 *   envelope  {v: 1, kid, body: bstr, tag: HMAC-SHA256(key, "payterm/v1/tap" || 0x00 || body)}
 *   body      {v: 1, dev, at, n: bstr(8), uid: bstr, kind, atqa, sak, ndef?: bstr, err?: text, big?: uint,
 *              aid?: bstr, chg?: {ref, amt, cur}}
 *
 * `n` is a random nonce: the service refuses a body it has seen (a replayed tap), and `at` bounds
 * how long it remembers. `ndef` is the message as read (also when it failed to decode, with
 * `err`); a message over MAX_TAP_NDEF_BYTES is left out and its size given as `big`. `aid` is
 * the payment application a card or phone wallet named in its PPSE directory. `chg` is the charge
 * the display was offering when it was tapped: the service decides whether the tapped thing is a
 * payment instrument it knows and may settle the charge with it; the display shows success only
 * when a confirmation for the charge arrives, as for any other payment.
 */
import type { Crypto } from "../../hal/crypto";
import { encodeCbor, type CborMap } from "../protocol/cbor";
import { messageTag } from "../protocol/tag";
import type { TagInfo } from "./reader";

export const TAP_VERSION = 1;
/** Keeps a tap message one small MQTT packet; NTAG213/215 messages fit whole. */
export const MAX_TAP_NDEF_BYTES = 512;
export const TAP_NONCE_BYTES = 8;

export interface SigningKey {
  keyId: string;
  key: Uint8Array;
}

/** The charge on offer when the tap came. */
export interface TappedCharge {
  reference: string;
  amountMinor: number;
  currency: string;
}

export interface TapContext {
  deviceId: string;
  /** Wall time, ms since the epoch. */
  at: number;
  crypto: Crypto;
  key: SigningKey;
  charge: TappedCharge | undefined;
}

export function tapBody(tag: TagInfo, deviceId: string, at: number, nonce: Uint8Array, charge?: TappedCharge): CborMap {
  const body: CborMap = { v: TAP_VERSION, dev: deviceId, at, n: nonce, uid: tag.uid, kind: tag.kind, atqa: tag.atqa, sak: tag.sak };
  if (tag.ndef) {
    if (tag.ndef.length <= MAX_TAP_NDEF_BYTES) body.ndef = tag.ndef;
    else body.big = tag.ndef.length;
  }
  if (tag.ndefError && tag.ndefError.code !== "not-ndef") body.err = tag.ndefError.code;
  if (tag.aid) body.aid = tag.aid;
  if (charge) body.chg = { ref: charge.reference, amt: charge.amountMinor, cur: charge.currency };
  return body;
}

/** The envelope published on the tap topic. */
export function encodeTap(tag: TagInfo, context: TapContext): Uint8Array {
  const body = encodeCbor(tapBody(tag, context.deviceId, context.at, context.crypto.randomBytes(TAP_NONCE_BYTES), context.charge));
  return encodeCbor({ v: 1, kid: context.key.keyId, body, tag: messageTag(context.crypto, context.key.key, "tap", body) });
}
