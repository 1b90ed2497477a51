/**
 * Building signed payment confirmations, the payment service's half of protocol v1
 * (docs/protocol.md). The device's half is firmware/payments.
 */
import { createHmac } from "node:crypto";
import { TAG_DOMAINS, type MessageKind } from "../../firmware/protocol/tag";
import { encodeProtocolCbor } from "./cbor";

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
  /** The charge it settles, when it settles one (docs/protocol.md, "ref"). */
  reference?: string;
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
    ...(fields.reference === undefined ? {} : { ref: fields.reference }),
  });
}

export function tagBody(key: Uint8Array, body: Uint8Array, kind: MessageKind = "payment"): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(TAG_DOMAINS[kind], "utf8").update(body).digest());
}

/** The envelope every authenticated message travels in; `kind` picks the tag's domain. */
export function sealEnvelope(body: Uint8Array, deviceKey: DeviceKey, kind: MessageKind = "payment"): Uint8Array {
  return encodeProtocolCbor({ v: 1, kid: deviceKey.keyId, body, tag: tagBody(deviceKey.key, body, kind) });
}

export function signConfirmation(fields: ConfirmationFields, deviceKey: DeviceKey): Uint8Array {
  return sealEnvelope(encodeBody(fields), deviceKey);
}
