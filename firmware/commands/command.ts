/**
 * A command, protocol version 1 (docs/protocol.md, "Commands"). It travels in the same envelope
 * as a payment confirmation, tagged in the command domain, so a command can never pass for a
 * payment or the reverse. The body, once authenticated, is a map:
 *
 *   {v: 1, id, name, args?, dev, ts, exp}
 */
import { isCborMap, type CborMap, type CborValue } from "../protocol/cbor";
import { DEVICE_ID } from "../protocol/topics";
import { Reason, Rejection } from "../payments/reasons";

export const COMMAND_VERSION = 1;

/** A command may be valid for at most a day: a captured one is worthless after that. */
export const MAX_COMMAND_LIFETIME_MS = 24 * 60 * 60_000;

export const COMMAND_ID = /^[A-Za-z0-9._:-]{1,64}$/;
export const COMMAND_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export interface Command {
  id: string;
  name: string;
  args: CborMap;
  deviceId: string;
  /** When the service issued it, ms since the epoch (service clock). */
  issuedAt: number;
  /** After this instant (device clock) it must not run. */
  expiresAt: number;
}

function field(body: CborMap, name: string): CborValue | undefined {
  return Object.prototype.hasOwnProperty.call(body, name) ? body[name] : undefined;
}

function required(body: CborMap, name: string, id?: string): CborValue {
  const value = field(body, name);
  if (value === undefined) throw new Rejection(Reason.missingField, `command has no "${name}"`, id);
  return value;
}

function text(body: CborMap, name: string, pattern: RegExp, id?: string): string {
  const value = required(body, name, id);
  if (typeof value !== "string" || !pattern.test(value))
    throw new Rejection(Reason.badField, `"${name}" must be a string matching ${pattern.source}`, id);
  return value;
}

function time(body: CborMap, name: string, id: string): number {
  const value = required(body, name, id);
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new Rejection(Reason.badField, `"${name}" must be a non-negative integer of milliseconds`, id);
  return value;
}

/** Validates an authenticated command body. Unknown keys are ignored, as in a confirmation. */
export function parseCommand(body: CborValue): Command {
  if (!isCborMap(body)) throw new Rejection(Reason.badBody, "command body is not a map");
  const version = required(body, "v");
  if (version !== COMMAND_VERSION)
    throw new Rejection(Reason.unsupportedVersion, `command version ${String(version)} is not ${COMMAND_VERSION}`);
  const id = text(body, "id", COMMAND_ID);
  const name = text(body, "name", COMMAND_NAME, id);
  const args = field(body, "args") ?? {};
  if (!isCborMap(args)) throw new Rejection(Reason.badField, '"args" must be a map', id);
  const deviceId = text(body, "dev", DEVICE_ID, id);
  const issuedAt = time(body, "ts", id);
  const expiresAt = time(body, "exp", id);
  if (expiresAt < issuedAt || expiresAt - issuedAt > MAX_COMMAND_LIFETIME_MS)
    throw new Rejection(Reason.badField, `"exp" must fall within ${MAX_COMMAND_LIFETIME_MS} ms after "ts"`, id);
  return { id, name, args, deviceId, issuedAt, expiresAt };
}
