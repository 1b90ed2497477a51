/**
 * The update transfer on MQTT (docs/protocol.md, "Updates"). The device asks, the release server
 * answers, so a transfer resumes from wherever the device says after any cut:
 *
 *   upd/get  (device -> server, QoS 0)  {v: 1, rel, bh: true}           the block table
 *                                       {v: 1, rel, off, n}             n chunks from byte off
 *   upd/data (server -> device, QoS 0)  {v: 1, rel, bh: bstr}           the block table
 *                                       {v: 1, rel, off, d: bstr}       one chunk
 *                                       {v: 1, rel, err: text}          the server cannot serve rel
 *   upd/state (device -> all, QoS 1, retained)                          see UpdateStateReport
 */
import { CborError, decodeCbor, encodeCbor, isCborMap, type CborMap } from "../protocol/cbor";
import { HASH_BYTES, MAX_BLOCKS, type UpdateKind } from "./manifest";

export const UPDATE_MESSAGE_VERSION = 1;
/** A 2048-byte chunk plus its small map; anything larger on upd/data is dropped unread. */
export const MAX_DATA_MESSAGE_BYTES = 4096;
const RELEASE_ID = /^[0-9a-f]{16}$/;

export type UpdateData =
  | { kind: "table"; releaseId: string; table: Uint8Array }
  | { kind: "chunk"; releaseId: string; offset: number; data: Uint8Array }
  | { kind: "error"; releaseId: string; error: string };

export class UpdateMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UpdateMessageError";
  }
}

export function encodeTableRequest(releaseId: string): Uint8Array {
  return encodeCbor({ v: UPDATE_MESSAGE_VERSION, rel: releaseId, bh: true });
}

export function encodeChunkRequest(releaseId: string, offset: number, count: number): Uint8Array {
  return encodeCbor({ v: UPDATE_MESSAGE_VERSION, rel: releaseId, off: offset, n: count });
}

/** What the device received on upd/data. Throws UpdateMessageError for anything malformed. */
export function decodeUpdateData(payload: Uint8Array): UpdateData {
  if (payload.length > MAX_DATA_MESSAGE_BYTES) throw new UpdateMessageError(`message of ${payload.length} bytes exceeds ${MAX_DATA_MESSAGE_BYTES}`);
  let value;
  try {
    value = decodeCbor(payload);
  } catch (error) {
    if (error instanceof CborError) throw new UpdateMessageError(`not CBOR: ${error.message}`);
    throw error;
  }
  if (!isCborMap(value)) throw new UpdateMessageError("not a map");
  if (value.v !== UPDATE_MESSAGE_VERSION) throw new UpdateMessageError(`version ${String(value.v)} is not ${UPDATE_MESSAGE_VERSION}`);
  const releaseId = value.rel;
  if (typeof releaseId !== "string" || !RELEASE_ID.test(releaseId)) throw new UpdateMessageError('"rel" must be 16 hex digits');
  if (value.bh !== undefined) {
    const table = value.bh;
    if (!(table instanceof Uint8Array) || table.length === 0 || table.length % HASH_BYTES !== 0 || table.length > MAX_BLOCKS * HASH_BYTES)
      throw new UpdateMessageError(`"bh" must be 1 to ${MAX_BLOCKS} hashes of ${HASH_BYTES} bytes`);
    return { kind: "table", releaseId, table };
  }
  if (value.err !== undefined) {
    if (typeof value.err !== "string") throw new UpdateMessageError('"err" must be text');
    return { kind: "error", releaseId, error: value.err };
  }
  const { off, d } = value;
  if (typeof off !== "number" || !Number.isInteger(off) || off < 0) throw new UpdateMessageError('"off" must be an unsigned integer');
  if (!(d instanceof Uint8Array) || d.length === 0) throw new UpdateMessageError('"d" must be a non-empty byte string');
  return { kind: "chunk", releaseId, offset: off, data: d };
}

export type UpdateStage =
  | "downloading"
  | "verifying"
  | "ready"
  | "switching"
  | "trial"
  | "confirmed"
  | "installed"
  | "rolled-back"
  | "refused"
  | "failed";

/** The retained report on upd/state: where the last update stands. */
export interface UpdateStateReport {
  stage: UpdateStage;
  kind?: UpdateKind;
  releaseId?: string;
  version?: string;
  /** Bytes known good so far, and the image size, while downloading. */
  offset?: number;
  size?: number;
  /** Why, for refused, failed and rolled-back. */
  reason?: string;
  detail?: string;
  /** The firmware running now. */
  firmware: string;
  at: number;
}

export function encodeUpdateState(report: UpdateStateReport): Uint8Array {
  const map: CborMap = { v: UPDATE_MESSAGE_VERSION, st: report.stage };
  if (report.kind !== undefined) map.kind = report.kind;
  if (report.releaseId !== undefined) map.rel = report.releaseId;
  if (report.version !== undefined) map.ver = report.version;
  if (report.offset !== undefined) map.off = report.offset;
  if (report.size !== undefined) map.size = report.size;
  if (report.reason !== undefined) map.rc = report.reason;
  if (report.detail !== undefined) map.msg = report.detail.length > 120 ? report.detail.slice(0, 120) : report.detail;
  map.fw = report.firmware;
  map.at = report.at;
  return encodeCbor(map);
}

/**
 * A device's upd/state as the release server reads it back: the stage as sent (a newer firmware
 * may have more), every other field only when it has its type. Undefined for anything else.
 */
export type UpdateStateSeen = Omit<Partial<UpdateStateReport>, "stage"> & { stage: string };

export function decodeUpdateState(payload: Uint8Array): UpdateStateSeen | undefined {
  let value;
  try {
    value = decodeCbor(payload);
  } catch (error) {
    if (error instanceof CborError) return undefined;
    throw error;
  }
  if (!isCborMap(value) || value.v !== UPDATE_MESSAGE_VERSION || typeof value.st !== "string") return undefined;
  const map = value;
  const text = (key: string) => (typeof map[key] === "string" ? (map[key] as string) : undefined);
  const number = (key: string) => (typeof map[key] === "number" ? (map[key] as number) : undefined);
  return {
    stage: map.st as string,
    kind: text("kind") as UpdateKind | undefined,
    releaseId: text("rel"),
    version: text("ver"),
    offset: number("off"),
    size: number("size"),
    reason: text("rc"),
    detail: text("msg"),
    firmware: text("fw"),
    at: number("at"),
  };
}
