/**
 * What the QR display reports about a charge, on pt/v1/{id}/charge/ack (docs/protocol.md,
 * "Charge acks"): shown (with the codes on screen), rejected (with a reason), and how it ended:
 * paid, mismatch (paid, but not the amount asked), expired, cancelled or replaced. The display
 * writes it (encodeChargeAck); the payment service reads it with decodeChargeAck.
 */
import { CborError, decodeCbor, encodeCbor, isCborMap, type CborMap, type CborValue } from "../protocol/cbor";

export const CHARGE_STATUSES = ["shown", "rejected", "paid", "mismatch", "expired", "cancelled", "replaced"] as const;
export type ChargeStatus = (typeof CHARGE_STATUSES)[number];

export interface ChargeAck {
  status: ChargeStatus;
  /** Undefined only when the request could not be authenticated or read. */
  reference: string | undefined;
  reason?: string;
  /** Human-readable detail of a rejection, at most MAX_MESSAGE characters. */
  message?: string;
  /** The payment that settled it (paid, mismatch). */
  transactionId?: string;
  /** What was paid (paid, mismatch). */
  amountMinor?: number;
  currency?: string;
  /** The codes on screen (shown). */
  codes?: { upi?: string; emv?: string };
  at: number;
}

export const MAX_MESSAGE = 240;

export function encodeChargeAck(ack: ChargeAck): Uint8Array {
  const map: CborMap = { v: 1, st: ack.status, at: ack.at };
  if (ack.reference !== undefined) map.ref = ack.reference;
  if (ack.reason !== undefined) map.rc = ack.reason;
  if (ack.message !== undefined) map.msg = ack.message.length > MAX_MESSAGE ? `${ack.message.slice(0, MAX_MESSAGE - 1)}\u2026` : ack.message;
  if (ack.transactionId !== undefined) map.txn = ack.transactionId;
  if (ack.amountMinor !== undefined) map.amt = ack.amountMinor;
  if (ack.currency !== undefined) map.cur = ack.currency;
  if (ack.codes) {
    const codes: CborMap = {};
    if (ack.codes.upi !== undefined) codes.upi = ack.codes.upi;
    if (ack.codes.emv !== undefined) codes.emv = ack.codes.emv;
    map.qr = codes;
  }
  return encodeCbor(map);
}

function textOf(value: CborValue | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A charge ack as encodeChargeAck wrote it; undefined for anything else (it is not one). */
export function decodeChargeAck(payload: Uint8Array): ChargeAck | undefined {
  let map: CborValue;
  try {
    map = decodeCbor(payload);
  } catch (error) {
    if (error instanceof CborError) return undefined;
    throw error;
  }
  if (!isCborMap(map) || map.v !== 1 || typeof map.at !== "number") return undefined;
  const status = CHARGE_STATUSES.find((s) => s === map.st);
  if (!status) return undefined;
  const ack: ChargeAck = { status, reference: textOf(map.ref), at: map.at };
  const reason = textOf(map.rc);
  const message = textOf(map.msg);
  const transactionId = textOf(map.txn);
  const currency = textOf(map.cur);
  if (reason !== undefined) ack.reason = reason;
  if (message !== undefined) ack.message = message;
  if (transactionId !== undefined) ack.transactionId = transactionId;
  if (typeof map.amt === "number") ack.amountMinor = map.amt;
  if (currency !== undefined) ack.currency = currency;
  if (isCborMap(map.qr)) {
    ack.codes = {};
    if (typeof map.qr.upi === "string") ack.codes.upi = map.qr.upi;
    if (typeof map.qr.emv === "string") ack.codes.emv = map.qr.emv;
  }
  return ack;
}
