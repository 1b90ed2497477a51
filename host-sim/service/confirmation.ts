/**
 * Building signed payment confirmations, the payment service's half of protocol v1
 * (docs/protocol.md). The device's half is firmware/payments.
 */
import { createHmac } from "node:crypto";
import { encodeProtocolCbor } from "./cbor";

export const PAYMENT_TAG_DOMAIN = Buffer.from("payterm/v1/pay\0", "utf8");

export interface DeviceKey {
  keyId: string;
  key: Uint8Array;
}

export interface ConfirmationFields {
  transactionId: string;
  deviceId: string;
  amountMinor: number;
  currency: string;
  provider: string;
  confirmedAt: number;
  expiresAt?: number;
}

export function encodeBody(fields: ConfirmationFields): Uint8Array {
  return encodeProtocolCbor({
    v: 1,
    txn: fields.transactionId,
    amt: fields.amountMinor,
    cur: fields.currency,
    prov: fields.provider,
    ts: fields.confirmedAt,
    dev: fields.deviceId,
    ...(fields.expiresAt === undefined ? {} : { exp: fields.expiresAt }),
  });
}

export function tagBody(key: Uint8Array, body: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(PAYMENT_TAG_DOMAIN).update(body).digest());
}

export function sealEnvelope(body: Uint8Array, deviceKey: DeviceKey): Uint8Array {
  return encodeProtocolCbor({ v: 1, kid: deviceKey.keyId, body, tag: tagBody(deviceKey.key, body) });
}

export function signConfirmation(fields: ConfirmationFields, deviceKey: DeviceKey): Uint8Array {
  return sealEnvelope(encodeBody(fields), deviceKey);
}
