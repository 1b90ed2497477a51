/**
 * Commands, the service's half (docs/protocol.md, "Commands"): the signed command body and the
 * device's result. The device's half is firmware/commands.
 */
import { createHmac } from "node:crypto";
import { KEY_WRAP_DOMAIN } from "../../firmware/protocol/key-wrap";
import { decodeDeviceMap, encodeProtocolCbor, type CborPlain } from "./cbor";
import { sealEnvelope, type DeviceKey } from "./confirmation";

export interface CommandFields {
  id: string;
  deviceId: string;
  name: string;
  args: { [key: string]: CborPlain };
  issuedAt: number;
  expiresAt: number;
}

export type CommandStatus = "ok" | "rejected" | "duplicate";

export interface CommandResult {
  deviceId: string;
  /** Absent when the device could not read the command's id. */
  id: string | undefined;
  status: CommandStatus;
  reason: string | undefined;
  detail: string | undefined;
  /** What the command's handler returned, for "ok". */
  result: { [key: string]: unknown } | undefined;
  /** For "duplicate": how the first run ended (ok, rejected, or running if the device restarted during it). */
  previous: string | undefined;
  /** Device time, ms since the epoch. */
  at: number;
}

export function encodeCommandBody(fields: CommandFields): Uint8Array {
  return encodeProtocolCbor({
    v: 1,
    id: fields.id,
    name: fields.name,
    args: fields.args,
    dev: fields.deviceId,
    ts: fields.issuedAt,
    exp: fields.expiresAt,
  });
}

export function signCommand(fields: CommandFields, deviceKey: DeviceKey): Uint8Array {
  return sealEnvelope(encodeCommandBody(fields), deviceKey, "command");
}

/**
 * The rotate-key argument that carries `next` masked with a pad only `current`'s holder can make
 * (firmware/protocol/key-wrap.ts): the broker never sees the new key.
 */
export function wrapKey(current: DeviceKey, commandId: string, next: DeviceKey): Uint8Array {
  const pad = createHmac("sha256", current.key).update(KEY_WRAP_DOMAIN, "utf8").update(commandId, "utf8").update(new Uint8Array([0])).update(next.keyId, "utf8").digest();
  if (next.key.length !== pad.length) throw new RangeError(`device keys are ${pad.length} bytes, got ${next.key.length}`);
  return next.key.map((byte, i) => byte ^ pad[i]);
}

const STATUSES: readonly string[] = ["ok", "rejected", "duplicate"];

function optionalText(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A result from a device's cmdack topic, or undefined when the payload is not one. */
export function parseCommandResult(deviceId: string, payload: Uint8Array): CommandResult | undefined {
  const m = decodeDeviceMap(payload);
  if (!m || m.v !== 1 || typeof m.st !== "string" || !STATUSES.includes(m.st) || typeof m.at !== "number") return undefined;
  const result = m.res;
  return {
    deviceId,
    id: optionalText(m.id),
    status: m.st as CommandStatus,
    reason: optionalText(m.rc),
    detail: optionalText(m.msg),
    result: typeof result === "object" && result !== null && !Array.isArray(result) && !(result instanceof Uint8Array) ? (result as { [key: string]: unknown }) : undefined,
    previous: optionalText(m.was),
    at: m.at,
  };
}
