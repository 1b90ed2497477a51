import { encodeCbor, type CborMap } from "../protocol/cbor";
import type { ReasonCode } from "./reasons";

export type AckStatus = "announced" | "duplicate" | "rejected";

export interface Ack {
  status: AckStatus;
  transactionId: string | undefined;
  reason: ReasonCode | undefined;
  /** Journal sequence of the entry, for announced and duplicate. */
  sequence: number | undefined;
  at: number;
}

/** Step 7: the acknowledgement the payment service waits for, CBOR on the device's ack topic. */
export function encodeAck(ack: Ack): Uint8Array {
  const map: CborMap = { v: 1, st: ack.status, at: ack.at };
  if (ack.transactionId !== undefined) map.txn = ack.transactionId;
  if (ack.reason !== undefined) map.rc = ack.reason;
  if (ack.sequence !== undefined) map.seq = ack.sequence;
  return encodeCbor(map);
}
