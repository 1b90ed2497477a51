/**
 * Where the payment service keeps its delivery state between runs: one JSON file in its state
 * directory, replaced whole through a rename, so a crash mid-write leaves the previous version
 * or the new one, never half of either. In-flight deliveries keep their signed bytes, so a
 * restarted service carries on republishing them; settled ones keep only their report.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { DeliveryReport, DeliveryState, DeviceAck } from "./delivery";

export const DELIVERIES_FILE = "deliveries.json";
const FORMAT = 1;

export interface StoredDelivery {
  report: DeliveryReport;
  /** The signed confirmation, while it may still be republished. */
  payload: Uint8Array | undefined;
  /** The wait before the next retry. */
  backoffMs: number;
}

interface FileForm {
  format: number;
  savedAt: number;
  deliveries: (Omit<DeliveryReport, "ack"> & { ack?: DeviceAck; payload?: string; backoffMs: number })[];
}

const STATES: readonly DeliveryState[] = ["published", "retrying", "announced", "duplicate", "rejected", "expired"];

function optionalNumber(value: unknown): value is number | undefined {
  return value === undefined || (typeof value === "number" && Number.isFinite(value));
}

/** Every field checked: a state file from a future version, or damaged, is refused as a whole. */
function checkEntry(entry: unknown, index: number, path: string): asserts entry is FileForm["deliveries"][number] {
  const e = entry as Record<string, unknown>;
  const fail = (what: string): never => {
    throw new Error(`${path}: delivery ${index} ${what}`);
  };
  if (typeof e !== "object" || e === null) fail("is not an object");
  if (typeof e.transactionId !== "string" || e.transactionId.length === 0) fail("has no transactionId");
  if (e.deviceId !== undefined && typeof e.deviceId !== "string") fail("has a deviceId that is not text");
  if (!STATES.includes(e.state as DeliveryState)) fail(`has an unknown state ${JSON.stringify(e.state)}`);
  for (const key of ["attempts", "duplicateAcks", "backoffMs"]) if (typeof e[key] !== "number") fail(`has no ${key}`);
  for (const key of ["firstPublishedAt", "lastPublishedAt", "nextAttemptAt", "expiresAt", "settledAt"]) if (!optionalNumber(e[key])) fail(`has a ${key} that is not a number`);
  if (e.payload !== undefined && typeof e.payload !== "string") fail("has a payload that is not base64 text");
}

export class DeliveryStore {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, DELIVERIES_FILE);
  }

  /** What the last run saved; nothing when there is no file. Throws, naming the file, when it is damaged. */
  load(): StoredDelivery[] {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    let data: FileForm;
    try {
      data = JSON.parse(text) as FileForm;
    } catch (error) {
      throw new Error(`${this.path}: not valid JSON (${(error as Error).message}); move it aside to start with no delivery state`);
    }
    if (typeof data !== "object" || data === null || data.format !== FORMAT || !Array.isArray(data.deliveries))
      throw new Error(`${this.path}: not a delivery state file of format ${FORMAT}`);
    return data.deliveries.map((entry, index) => {
      checkEntry(entry, index, this.path);
      const { payload, backoffMs, ack, ...rest } = entry;
      return {
        report: { ...rest, ack },
        payload: payload === undefined ? undefined : new Uint8Array(Buffer.from(payload, "base64")),
        backoffMs,
      };
    });
  }

  save(deliveries: Iterable<StoredDelivery>, now: number): void {
    const data: FileForm = { format: FORMAT, savedAt: now, deliveries: [] };
    for (const { report, payload, backoffMs } of deliveries)
      data.deliveries.push({ ...report, backoffMs, ...(payload === undefined ? {} : { payload: Buffer.from(payload).toString("base64") }) });
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(data));
    renameSync(temporary, this.path);
  }
}
