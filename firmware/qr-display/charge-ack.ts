/**
 * What the QR display reports about a charge, on pt/v1/{id}/charge/ack (docs/protocol.md,
 * "Charge acks"): shown (with the codes on screen), rejected (with a reason), and how it ended:
 * paid, mismatch (paid, but not the amount asked), expired, cancelled or replaced.
 */
import { encodeCbor, type CborMap } from "../protocol/cbor";

export type ChargeStatus = "shown" | "rejected" | "paid" | "mismatch" | "expired" | "cancelled" | "replaced";

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
