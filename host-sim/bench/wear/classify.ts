/**
 * What a recorded write is, in words a reader of the bench's table knows: a journal entry's state,
 * the command ledger's, else the namespace and key (ring slots folded into one name).
 */
import { CborError, decodeCbor, isCborMap } from "../../../firmware/protocol/cbor";
import type { KvWrite } from "./counting-kv";

function ringMap(write: KvWrite): Record<string, unknown> | undefined {
  if (write.op !== "set" || !(write.value instanceof ArrayBuffer)) return undefined;
  try {
    const m = decodeCbor(new Uint8Array(write.value));
    return isCborMap(m) ? m : undefined;
  } catch (error) {
    if (error instanceof CborError) return undefined;
    throw error;
  }
}

const LEDGER_STATES = ["running", "ok", "rejected"];

export function describeWrite(write: KvWrite): string {
  const { domain, key } = write;
  if (write.op === "delete") return `${domain}/${key} deleted`;
  if (domain === "journal" && /^e\d+$/.test(key)) {
    const m = ringMap(write);
    const state = !m ? "unreadable" : m.st !== 1 ? "journaled" : m.ao === 1 ? "announced" : "acked";
    return `journal/e<slot> ${state}`;
  }
  if (domain === "cmdlog" && /^c\d+$/.test(key)) {
    const m = ringMap(write);
    return `cmdlog/c<slot> ${(m && LEDGER_STATES[m.st as number]) ?? "unreadable"}`;
  }
  return `${domain}/${key}`;
}
