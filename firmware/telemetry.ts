/**
 * Periodic health report on the telemetry topic (QoS 0: a lost report is replaced by the next).
 * Counters are totals since boot; the service computes rates.
 */
import type { Hal } from "../hal/index";
import { encodeCbor, type CborMap } from "./protocol/cbor";
import type { PipelineCounters } from "./payments/counters";

export interface TelemetrySources {
  counters: PipelineCounters;
  /** Publications the session dropped because its offline outbox was full. */
  outboxDropped: () => number;
  journalUnreadable: number;
}

export function encodeTelemetry(hal: Pick<Hal, "clock" | "power" | "network" | "system">, sources: TelemetrySources): Uint8Array {
  const power = hal.power.status();
  const network = hal.network.status();
  const c = sources.counters;
  const rejectedBy: CborMap = {};
  for (const [reason, count] of Object.entries(c.rejectedBy)) if (count) rejectedBy[reason] = count;
  const report: CborMap = {
    v: 1,
    at: hal.clock.now(),
    fw: hal.system.firmwareVersion,
    bat: power.batteryPercent,
    chg: power.charging,
    heap: hal.system.freeHeap(),
    rx: c.received,
    ann: c.announced,
    dup: c.duplicates,
    rej: c.rejected,
    rc: rejectedBy,
    drop: sources.outboxDropped(),
    jbad: sources.journalUnreadable,
  };
  if (network.rssi !== undefined) report.rssi = network.rssi;
  return encodeCbor(report);
}
