/**
 * Messages no honest payment service sends, for the UI's and scenarios' attack buttons. Each kind
 * targets one check of the device's pipeline and names the reason code the device must answer
 * with; none of them may ever be announced.
 */
import { randomBytes } from "node:crypto";
import { Reason, type ReasonCode } from "../../firmware/payments/reasons";
import { encodeProtocolCbor } from "../service/cbor";
import { encodeBody, signConfirmation, tagBody, type ConfirmationFields, type DeviceKey } from "../service/confirmation";

export interface Forgery {
  /** What the UI shows. */
  label: string;
  /** The ack reason the device answers with. */
  expect: ReasonCode;
  make(fields: ConfirmationFields, key: DeviceKey): Uint8Array;
}

export const FORGERIES = {
  "wrong-key": {
    label: "signed with a key the device does not hold",
    expect: Reason.badTag,
    make: (fields, key) => signConfirmation(fields, { keyId: key.keyId, key: new Uint8Array(randomBytes(32)) }),
  },
  tampered: {
    label: "genuine tag, amount raised after signing",
    expect: Reason.badTag,
    make: (fields, key) => {
      const tag = tagBody(key.key, encodeBody(fields));
      const raised = encodeBody({ ...fields, amountMinor: fields.amountMinor * 100 });
      return encodeProtocolCbor({ v: 1, kid: key.keyId, body: raised, tag });
    },
  },
  "unknown-key": {
    label: "names a key id the device has never had",
    expect: Reason.unknownKey,
    make: (fields) => signConfirmation(fields, { keyId: "k-forged", key: new Uint8Array(randomBytes(32)) }),
  },
  "other-device": {
    label: "properly signed, but for another device",
    expect: Reason.wrongDevice,
    make: (fields, key) => signConfirmation({ ...fields, deviceId: `${fields.deviceId}-other`.slice(0, 64) }, key),
  },
  expired: {
    label: "properly signed, expired an hour ago",
    expect: Reason.expired,
    make: (fields, key) => signConfirmation({ ...fields, confirmedAt: fields.confirmedAt - 2 * 3_600_000, expiresAt: fields.confirmedAt - 3_600_000 }, key),
  },
  malformed: {
    label: "not CBOR at all",
    expect: Reason.notCbor,
    make: () => new Uint8Array([0xff, ...randomBytes(15)]),
  },
} satisfies Record<string, Forgery>;

export type ForgeryKind = keyof typeof FORGERIES;

export function isForgeryKind(kind: string): kind is ForgeryKind {
  return Object.prototype.hasOwnProperty.call(FORGERIES, kind);
}
