import { encodeCbor, type CborMap } from "../protocol/cbor";
import type { ReasonCode } from "../payments/reasons";
import type { LedgerState } from "./ledger";

export type CommandStatus = "ok" | "rejected" | "duplicate";

export interface CommandOutcome {
  status: CommandStatus;
  /** Absent when the command could not be read far enough to know its id. */
  id: string | undefined;
  reason: ReasonCode | undefined;
  /** Why, for people: the setting that was refused, the argument that was wrong. */
  detail: string | undefined;
  /** What the handler returned, for "ok". */
  result: CborMap | undefined;
  /** For "duplicate": how the first run ended ("running" if the device restarted during it). */
  previous: LedgerState | undefined;
  at: number;
}

/** Details are for logs and operators; a long one is cut so a result stays one small packet. */
export const MAX_DETAIL_CHARS = 160;

function shorten(text: string): string {
  if (text.length <= MAX_DETAIL_CHARS) return text;
  const cut = text.charCodeAt(MAX_DETAIL_CHARS - 1);
  // Never end on the first half of a surrogate pair: that would not be valid UTF-8.
  return text.slice(0, cut >= 0xd800 && cut <= 0xdbff ? MAX_DETAIL_CHARS - 1 : MAX_DETAIL_CHARS);
}

/** The result published on the device's cmdack topic, one per command received. */
export function encodeCommandResult(outcome: CommandOutcome): Uint8Array {
  const map: CborMap = { v: 1, st: outcome.status, at: outcome.at };
  if (outcome.id !== undefined) map.id = outcome.id;
  if (outcome.reason !== undefined) map.rc = outcome.reason;
  if (outcome.detail !== undefined) map.msg = shorten(outcome.detail);
  if (outcome.result !== undefined) map.res = outcome.result;
  if (outcome.previous !== undefined) map.was = outcome.previous;
  return encodeCbor(map);
}
