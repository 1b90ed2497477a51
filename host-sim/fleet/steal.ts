/**
 * CPU time the hypervisor gave to other guests ("steal" in /proc/stat). On a shared virtual
 * machine it comes and goes, and while it is high every latency figure here measures the host, not
 * the code: a run reports it beside its figures so such a run can be told apart and discarded.
 */
import { readFileSync } from "node:fs";

export interface CpuTimes {
  steal: number;
  total: number;
}

/** The machine's CPU times so far, or undefined where /proc/stat does not exist. */
export function cpuTimes(): CpuTimes | undefined {
  let stat: string;
  try {
    stat = readFileSync("/proc/stat", "utf8");
  } catch {
    return undefined;
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  const fields = stat.slice(0, stat.indexOf("\n")).trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((n) => !Number.isFinite(n))) return undefined;
  return { steal: fields[7], total: fields.reduce((a, b) => a + b, 0) };
}

/** Percent of the machine's CPU time stolen between two readings. */
export function stealPercent(from: CpuTimes | undefined, to: CpuTimes | undefined): number | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  return Math.round(((to.steal - from.steal) / (to.total - from.total)) * 1000) / 10;
}
