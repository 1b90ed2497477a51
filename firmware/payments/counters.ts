import type { ReasonCode } from "./reasons";

/** What the pipeline has done since start, for telemetry and the simulator's panel. */
export class PipelineCounters {
  received = 0;
  announced = 0;
  duplicates = 0;
  rejected = 0;
  readonly rejectedBy: Partial<Record<ReasonCode, number>> = {};

  reject(reason: ReasonCode): void {
    this.rejected++;
    this.rejectedBy[reason] = (this.rejectedBy[reason] ?? 0) + 1;
  }
}
