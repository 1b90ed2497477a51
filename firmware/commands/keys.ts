/**
 * Key management commands:
 *   rotate-key {kid, wkey, grace?}  install a new key (wrapped, see protocol/key-wrap.ts) and make
 *                                   it current; older keys stay accepted for `grace` seconds
 *   retire-key {kid}                stop accepting an older key now
 * Both must be authenticated by the current key: a key on its way out can still confirm
 * payments, but it cannot choose its successor.
 */
import type { Clock } from "../../hal/clock";
import type { Crypto } from "../../hal/crypto";
import type { Log } from "../../hal/log";
import { constantTimeEqual } from "../protocol/bytes";
import type { CborMap } from "../protocol/cbor";
import { keyWrapPad, xorBytes } from "../protocol/key-wrap";
import { HMAC_KEY_BYTES, KEY_ID, type Keyring } from "../payments/keyring";
import { Reason } from "../payments/reasons";
import { refuse } from "./args";
import type { CommandContext, CommandHandler } from "./dispatcher";

export const DEFAULT_KEY_GRACE_S = 24 * 60 * 60;
export const MAX_KEY_GRACE_S = 30 * 24 * 60 * 60;

export interface KeyCommandOptions {
  keyring: Keyring;
  clock: Clock;
  crypto: Crypto;
  log: Log;
}

function requireCurrent(keyring: Keyring, context: CommandContext): Uint8Array {
  const key = keyring.get(context.keyId);
  if (!key || !keyring.isCurrent(context.keyId))
    refuse(`key "${context.keyId}" is not the current key (${keyring.current ?? "none"}); key commands need it`, Reason.keyNotCurrent);
  return key;
}

function schedule(retireAt: Map<string, number>): CborMap {
  const out: CborMap = {};
  for (const [keyId, at] of retireAt) out[keyId] = at;
  return out;
}

export function rotateKeyCommand(o: KeyCommandOptions): CommandHandler {
  return (context) => {
    const { args, command } = context;
    const keyId = args.text("kid", KEY_ID);
    const wrapped = args.bytes("wkey", HMAC_KEY_BYTES);
    const graceS = args.optionalInteger("grace", 0, MAX_KEY_GRACE_S) ?? DEFAULT_KEY_GRACE_S;
    args.done();
    const authKey = requireCurrent(o.keyring, context);
    if (keyId === context.keyId) refuse(`"${keyId}" is already the current key`);
    const key = xorBytes(wrapped, keyWrapPad(o.crypto, authKey, command.id, keyId));
    if (o.keyring.ids().indexOf(keyId) >= 0) {
      const existing = o.keyring.get(keyId);
      if (!existing || !constantTimeEqual(existing, key)) refuse(`key id "${keyId}" is already in use by another key`);
    }
    const now = o.clock.now();
    const retiring = o.keyring.rotate(keyId, key, graceS * 1000, now);
    o.log.event("info", "key-rotated", { kid: keyId, by: context.keyId, graceS });
    return { cur: keyId, retiring: schedule(retiring) };
  };
}

export function retireKeyCommand(o: KeyCommandOptions): CommandHandler {
  return (context) => {
    const { args } = context;
    const keyId = args.text("kid", KEY_ID);
    args.done();
    requireCurrent(o.keyring, context);
    if (keyId === context.keyId) refuse(`"${keyId}" authenticated this command; rotate to a new key first`);
    if (o.keyring.ids().indexOf(keyId) < 0) refuse(`no key "${keyId}" on this device`);
    o.keyring.remove(keyId);
    o.log.event("info", "key-retired", { kid: keyId, by: context.keyId });
    return { retired: keyId };
  };
}
