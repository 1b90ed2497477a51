/**
 * The command ledger: the ids of the most recent commands, kept in the key-value store so that a
 * command replayed (by an attacker, or redelivered by the broker after a restart) never runs
 * twice. A bounded ring, one NVS key per slot, like the payment journal.
 *
 * A ring forgets: after `capacity` newer commands an id is gone. So every entry also carries the
 * ledger's floor, the latest issue time of any command it has forgotten. A command issued at or
 * before the floor may have been seen and forgotten, and is refused as too old; one issued after
 * it that is not in the ring has certainly never run. The ring itself, floor included, is
 * ../nvs-ring.ts; stored form, one CBOR map per slot key `c<slot>` in namespace "cmdlog":
 *   {s: sequence, id, ts: issued at, st: 0 running | 1 ok | 2 rejected, f: floor}
 *
 * A command is recorded as running before its handler runs and updated with the outcome after:
 * a restart in between leaves it "running", and a redelivery is then refused as a duplicate.
 * Commands therefore run at most once.
 */
import type { KeyValueStore } from "../../hal/kv";
import { NvsRing, type RingFormat } from "../nvs-ring";
import { CborError, decodeCbor, encodeCbor, isCborMap } from "../protocol/cbor";
import type { Command } from "./command";

export const LEDGER_DOMAIN = "cmdlog";
export const DEFAULT_LEDGER_CAPACITY = 32;

export type LedgerState = "running" | "ok" | "rejected";

const STATE_CODES: readonly LedgerState[] = ["running", "ok", "rejected"];

export interface LedgerEntry {
  sequence: number;
  id: string;
  issuedAt: number;
  state: LedgerState;
  /** The ledger's floor when this entry was written. */
  floor: number;
}

function encodeEntry(entry: LedgerEntry): ArrayBuffer {
  return encodeCbor({ s: entry.sequence, id: entry.id, ts: entry.issuedAt, st: STATE_CODES.indexOf(entry.state), f: entry.floor }).buffer as ArrayBuffer;
}

function decodeEntry(stored: ArrayBuffer): LedgerEntry | undefined {
  try {
    const m = decodeCbor(new Uint8Array(stored));
    if (!isCborMap(m)) return undefined;
    const { s, id, ts, st, f } = m;
    if (typeof s !== "number" || typeof id !== "string" || typeof ts !== "number" || typeof st !== "number" || typeof f !== "number") return undefined;
    const state = STATE_CODES[st];
    return state === undefined ? undefined : { sequence: s, id, issuedAt: ts, state, floor: f };
  } catch (error) {
    if (error instanceof CborError) return undefined;
    throw error;
  }
}

const FORMAT: RingFormat<LedgerEntry> = {
  domain: LEDGER_DOMAIN,
  keyPrefix: "c",
  encode: encodeEntry,
  decode: decodeEntry,
  id: (entry) => entry.id,
  stamp: (entry) => entry.issuedAt,
};

export class CommandLedger {
  readonly #ring: NvsRing<LedgerEntry>;

  constructor(kv: KeyValueStore, capacity = DEFAULT_LEDGER_CAPACITY) {
    this.#ring = new NvsRing(kv, FORMAT, capacity);
  }

  /** Commands issued at or before this instant (service clock) are refused as too old. */
  get floor(): number {
    return this.#ring.floor;
  }

  find(id: string): LedgerEntry | undefined {
    return this.#ring.find(id);
  }

  /** Records the command as running. Throws if the store refuses, in which case nothing changed. */
  begin(command: Command): LedgerEntry {
    return this.#ring.append((sequence, floor) => ({ sequence, id: command.id, issuedAt: command.issuedAt, state: "running", floor }));
  }

  /** Records the outcome. A failed write leaves "running", which refuses a replay all the same. */
  finish(entry: LedgerEntry, state: "ok" | "rejected"): void {
    this.#ring.replace({ ...entry, state });
  }
}
