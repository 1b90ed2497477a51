/**
 * The payment confirmation, protocol version 1, and the rules a body must satisfy.
 *
 * Wire form (docs/protocol.md): an envelope map {v, kid, body, tag} where `body` is the CBOR
 * encoding of the confirmation map and `tag` = HMAC-SHA256(device key, DOMAIN || body).
 * Authenticating the bytes as sent avoids any canonicalisation step on the device.
 */
import { isCborMap, type CborMap, type CborValue } from "../protocol/cbor";
import { currencyInfo, MAX_AMOUNT_MINOR } from "../money";
import { DEVICE_ID } from "../protocol/topics";
import { Reason, Rejection } from "./reasons";

export const PROTOCOL_VERSION = 1;

export interface PaymentConfirmation {
  transactionId: string;
  /** Integer amount in the currency's minor units. */
  amountMinor: number;
  currency: string;
  /** Payer app or scheme: "UPI", "Paytm", "Alipay", "card"... */
  provider: string;
  /** When the payment service confirmed it, ms since the epoch. */
  confirmedAt: number;
  /** After this instant (ms since the epoch) the device must not announce it. */
  expiresAt: number | undefined;
  deviceId: string;
  /** The merchant's reference of the charge it settles (QR display charges); absent for others. */
  reference?: string;
}

const TRANSACTION_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const PROVIDER = /^[A-Za-z0-9 ._+-]{1,32}$/;
/** A charge reference: EMVCo's reference label (62.05) holds 25 characters, UPI's tr 35. */
export const CHARGE_REFERENCE = /^[A-Za-z0-9._-]{1,25}$/;

function field(body: CborMap, name: string): CborValue | undefined {
  return Object.prototype.hasOwnProperty.call(body, name) ? body[name] : undefined;
}

function required(body: CborMap, name: string, transactionId?: string): CborValue {
  const value = field(body, name);
  if (value === undefined) throw new Rejection(Reason.missingField, `body has no "${name}"`, transactionId);
  return value;
}

function text(body: CborMap, name: string, pattern: RegExp, transactionId?: string): string {
  const value = required(body, name, transactionId);
  if (typeof value !== "string" || !pattern.test(value))
    throw new Rejection(Reason.badField, `"${name}" must be a string matching ${pattern.source}`, transactionId);
  return value;
}

function timestamp(value: CborValue, name: string, transactionId: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new Rejection(Reason.badField, `"${name}" must be a non-negative integer of milliseconds`, transactionId);
  return value;
}

/**
 * Validates a decoded body. Unknown keys are ignored so that a v1 device accepts additions that
 * do not change meaning; a change of meaning raises `v`, which this device refuses.
 */
export function parseConfirmation(body: CborValue): PaymentConfirmation {
  if (!isCborMap(body)) throw new Rejection(Reason.badBody, "body is not a map");
  const version = required(body, "v");
  if (version !== PROTOCOL_VERSION)
    throw new Rejection(Reason.unsupportedVersion, `body version ${String(version)} is not ${PROTOCOL_VERSION}`);
  const transactionId = text(body, "txn", TRANSACTION_ID);
  const amount = required(body, "amt", transactionId);
  if (typeof amount === "bigint") throw new Rejection(Reason.amountRange, "amount does not fit in 53 bits", transactionId);
  if (typeof amount !== "number" || !Number.isInteger(amount))
    throw new Rejection(Reason.badField, '"amt" must be an integer of minor units', transactionId);
  if (amount <= 0 || amount > MAX_AMOUNT_MINOR)
    throw new Rejection(Reason.amountRange, `amount ${amount} is outside 1..${MAX_AMOUNT_MINOR}`, transactionId);
  const currency = text(body, "cur", /^[A-Z]{3}$/, transactionId);
  if (!currencyInfo(currency)) throw new Rejection(Reason.unknownCurrency, `currency ${currency} is not supported`, transactionId);
  const provider = text(body, "prov", PROVIDER, transactionId);
  const confirmedAt = timestamp(required(body, "ts", transactionId), "ts", transactionId);
  const expiry = field(body, "exp");
  const expiresAt = expiry === undefined ? undefined : timestamp(expiry, "exp", transactionId);
  const deviceId = text(body, "dev", DEVICE_ID, transactionId);
  const confirmation: PaymentConfirmation = { transactionId, amountMinor: amount, currency, provider, confirmedAt, expiresAt, deviceId };
  if (field(body, "ref") !== undefined) confirmation.reference = text(body, "ref", CHARGE_REFERENCE, transactionId);
  return confirmation;
}
