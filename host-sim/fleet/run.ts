/**
 * A fleet run, start to end, on one broker:
 *   1. the floor: N bare mqtt.js subscribers, the same rate and duration (and ramp), then closed;
 *   2. the fleet: N virtual soundboxes on the real firmware and the payment service, the same load;
 *   3. on each side: a warm-up, the main step, then with `ramp` steps of rising rate until a step
 *      loses a message or cannot be sent at its rate; the highest step held is reported beside the
 *      floor's.
 * Results: one object (report.ts prints it as a table, JSON and an HTML chart).
 */
import { randomBytes } from "node:crypto";
import { cpus, loadavg, totalmem } from "node:os";
import { BareFleet } from "./floor";
import { startFleetBroker, type BrokerChoice } from "./broker";
import { collectGarbage } from "./collect-garbage";
import { tuneGarbageCollection } from "./gc-settings";
import { quiet, runLoad, type LoadResult, type LoadStep, type LoadTarget } from "./load";
import { Recorder } from "./recorder";
import type { GroupCounts } from "./device-group";
import { SoundboxFleet } from "./soundbox-fleet";

export interface RampOptions {
  startRate: number;
  /** Each step's rate is the previous one's times this. */
  factor: number;
  stepS: number;
  maxRate: number;
}

export interface FleetRunOptions {
  broker: BrokerChoice;
  devices: number;
  rate: number;
  durationS: number;
  /** Wait for stragglers after each step, s. */
  drainS: number;
  /** Measure the bare mqtt.js floor too (default). */
  floor: boolean;
  ramp: RampOptions | undefined;
  /** Connections opened at once. */
  concurrency: number;
  /** Worker threads for the virtual soundboxes (0: all in the main thread, with the service). */
  workers: number;
  /**
   * Seconds of load at the main rate before anything is measured, on each side (0: none). A
   * fresh process runs its first thousands of messages through the interpreter and compiles as
   * it goes; without this the first seconds measure V8's start-up, not the steady state.
   */
  warmupS: number;
  progress: (line: string) => void;
}

export interface SideResult {
  devices: number;
  connectMs: number;
  /** The unmeasured warm-up: its losses still count against the run. */
  warmup: LoadResult | undefined;
  main: LoadResult | undefined;
  ramp: { steps: LoadResult[]; highestHeld: number | undefined } | undefined;
}

export interface FleetRunResult {
  runId: string;
  startedAt: string;
  broker: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; loadBefore: number[]; loadAfter: number[]; node: string };
  options: Omit<FleetRunOptions, "progress" | "broker">;
  floor: SideResult | undefined;
  fleet: SideResult & { deviceCounts: GroupCounts & { acks: number; sendErrors: number }; serviceRetries: number };
  brokerCpuSeconds: number | undefined;
  /** fleet p99 / floor p99 for the main step. */
  p99Ratio: number | undefined;
}

/** Between ramp steps, the longest wait for the previous step's stragglers, s. */
const QUIET_LIMIT_S = 60;

/** The longest the last messages of a held step may take to arrive after sending stops, ms. */
export const KEPT_UP_MS = 1000;

/**
 * A step holds when it went out at (nearly) its rate, nothing was lost or duplicated, and the
 * receivers kept up: the last messages arrived within KEPT_UP_MS of the end of sending. (Without
 * that, a short step at a rate the receivers cannot sustain passes by draining its backlog after.)
 */
export function held(step: LoadResult): boolean {
  return step.lost === 0 && step.duplicates === 0 && step.achievedRate >= step.targetRate * 0.97 && step.drainMs <= KEPT_UP_MS;
}

/**
 * The warm-up, then the main step, then the ramp from its lowest rate up, each step once the
 * previous one's stragglers are in. The main step comes before the ramp because the ramp ends by
 * overloading the receivers, and what that leaves behind (a backlog, a heap full of garbage to
 * collect) would otherwise fall into the step the run is measured by.
 */
async function drive(target: LoadTarget, recorder: Recorder, o: FleetRunOptions, mainStep: LoadStep): Promise<Pick<SideResult, "warmup" | "main" | "ramp">> {
  // This thread's heap collected once its side has started (each device thread does the same).
  collectGarbage();
  const step = (load: LoadStep) => runLoad(target, recorder, load, o.progress);
  let warmup: LoadResult | undefined;
  if (o.warmupS > 0) {
    o.progress(`${target.label} warm-up: ${mainStep.rate}/s for ${o.warmupS} s, not measured`);
    warmup = await step({ rate: mainStep.rate, durationS: o.warmupS, drainS: o.drainS });
  }
  let main: LoadResult | undefined;
  if (o.durationS > 0) {
    const left = await quiet(recorder, QUIET_LIMIT_S);
    o.progress(`${target.label}: ${mainStep.rate}/s for ${mainStep.durationS} s${left > 0 ? ` (${left} messages of the warm-up still on their way)` : ""}`);
    main = await step(mainStep);
  }
  let ramp: SideResult["ramp"];
  if (o.ramp) {
    const steps: LoadResult[] = [];
    let highestHeld: number | undefined;
    for (let rate = o.ramp.startRate; rate <= o.ramp.maxRate; rate = Math.round(rate * o.ramp.factor)) {
      const left = await quiet(recorder, QUIET_LIMIT_S);
      o.progress(`${target.label} ramp: ${rate}/s for ${o.ramp.stepS} s${left > 0 ? ` (${left} messages of earlier steps still on their way)` : ""}`);
      const result = await step({ rate, durationS: o.ramp.stepS, drainS: o.drainS });
      steps.push(result);
      if (!held(result)) break;
      highestHeld = rate;
    }
    ramp = { steps, highestHeld };
  }
  return { warmup, main, ramp };
}

/**
 * The floor, in a function of its own: a suspended async function keeps its locals, and the
 * 10,000 closed clients (over 100 MB) would otherwise stay reachable from runFleet's frame while
 * the fleet runs, for the main thread's collector to mark again and again.
 */
async function measureFloor(url: string, runId: string, o: FleetRunOptions, mainStep: LoadStep): Promise<SideResult> {
  const recorder = new Recorder();
  o.progress(`floor: connecting ${o.devices} bare mqtt.js subscribers`);
  const bare = await BareFleet.connect(url, o.devices, runId, recorder, o.concurrency, o.progress);
  o.progress(`floor: ${o.devices} subscribers connected in ${(bare.connectMs / 1000).toFixed(1)} s`);
  try {
    return { devices: o.devices, connectMs: Math.round(bare.connectMs), ...(await drive(bare, recorder, o, mainStep)) };
  } finally {
    await bare.close();
  }
}

export async function runFleet(o: FleetRunOptions): Promise<FleetRunResult> {
  const runId = randomBytes(3).toString("hex");
  tuneGarbageCollection();
  const loadBefore = loadavg();
  const broker = await startFleetBroker(o.broker);
  const brokerCpuStart = broker.cpuSeconds();
  const mainStep: LoadStep = { rate: o.rate, durationS: o.durationS, drainS: o.drainS };
  o.progress(`broker: ${broker.description}`);
  try {
    const floor = o.floor ? await measureFloor(broker.url, runId, o, mainStep) : undefined;

    const recorder = new Recorder();
    o.progress(`fleet: starting ${o.devices} virtual soundboxes`);
    const fleet = new SoundboxFleet({ brokerUrl: broker.url, devices: o.devices, runId, recorder, concurrency: o.concurrency, workers: o.workers, progress: o.progress, cleanUp: o.broker.kind === "url" });
    let side: FleetRunResult["fleet"];
    try {
      await fleet.start();
      o.progress(`fleet: ${o.devices} devices connected in ${(fleet.connectMs / 1000).toFixed(1)} s`);
      const driven = await drive(fleet, recorder, o, mainStep);
      side = {
        devices: o.devices,
        connectMs: Math.round(fleet.connectMs),
        ...driven,
        deviceCounts: { ...fleet.counts, acks: fleet.acks, sendErrors: fleet.sendErrors },
        serviceRetries: fleet.service.stats().retries,
      };
    } finally {
      await fleet.stop();
    }
    const brokerCpuEnd = broker.cpuSeconds();
    const floorP99 = floor?.main?.latency.p99;
    const fleetP99 = side.main?.latency.p99;
    return {
      runId,
      startedAt: new Date().toISOString(),
      broker: broker.description,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        memoryGb: Math.round(totalmem() / 1e9),
        loadBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
        loadAfter: loadavg().map((l) => Math.round(l * 100) / 100),
        node: process.version,
      },
      options: { devices: o.devices, rate: o.rate, durationS: o.durationS, drainS: o.drainS, floor: o.floor, ramp: o.ramp, concurrency: o.concurrency, workers: o.workers, warmupS: o.warmupS },
      floor,
      fleet: side,
      brokerCpuSeconds: brokerCpuStart === undefined || brokerCpuEnd === undefined ? undefined : Math.round((brokerCpuEnd - brokerCpuStart) * 10) / 10,
      p99Ratio: floorP99 && fleetP99 ? Math.round((fleetP99 / floorP99) * 100) / 100 : undefined,
    };
  } finally {
    await broker.close();
  }
}
