/**
 * One load step: messages sent at a steady rate to a fleet of receivers, round robin, for a
 * while; then a wait for the stragglers; then the count of what arrived, what arrived twice and
 * what never did, and the latency. The same driver runs the virtual soundboxes and the bare
 * mqtt.js floor, so the two are measured the same way.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { cpuUsage, memoryUsage } from "node:process";
import { fleetNow } from "./clock";
import { percentiles, type Percentiles, type Recorder, type SecondStats } from "./recorder";
import { cpuTimes, stealPercent } from "./steal";

export interface LoadTarget {
  readonly label: string;
  readonly devices: number;
  /** Sends message `seq` to receiver `device`; the receiver reports it to the recorder. */
  send(seq: number, device: number): void;
  /** Extra words for the progress line (connections, acks...). */
  status?(): string;
}

export interface LoadStep {
  rate: number;
  durationS: number;
  /** How long to wait for stragglers once sending has stopped. */
  drainS: number;
}

export interface LoadResult {
  label: string;
  targetRate: number;
  /** Messages sent over the sending time. */
  achievedRate: number;
  durationS: number;
  sent: number;
  delivered: number;
  duplicates: number;
  lost: number;
  /** From the last send to the last arrival, or the drain limit. */
  drainMs: number;
  latency: Percentiles;
  perSecond: SecondStats[];
  /** Process CPU over the step, percent of one core. */
  cpuPercent: number;
  rssMb: number;
  /** How late this process's event loop ran its tasks over the step, p99 and max, ms. */
  loopDelay: { p99: number; max: number };
  /** Messages of earlier steps still on their way when this one began (0 for a clean start). */
  backlogAtStart: number;
  /** Percent of the machine's CPU the hypervisor gave elsewhere over the step (steal.ts). */
  stealPercent: number | undefined;
}

const TICK_MS = 5;

export async function runLoad(target: LoadTarget, recorder: Recorder, step: LoadStep, progress: (line: string) => void): Promise<LoadResult> {
  const total = Math.round(step.rate * step.durationS);
  const from = recorder.sent;
  const backlogAtStart = from - recorder.delivered(0, from);
  const to = from + total;
  const start = fleetNow();
  const cpuStart = cpuUsage();
  const timesStart = cpuTimes();
  // A loop that runs late delays every device in the process at once: shown beside the latency.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let cursor = from % Math.max(1, target.devices);
  let lastLine = start;

  const line = (now: number) => {
    const sent = recorder.sent - from;
    const delivered = recorder.delivered(from, recorder.sent);
    const recent = recorder.recent(now, 1000, from);
    const cpu = cpuUsage(cpuStart);
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / (now - start)) * 100;
    progress(
      `${target.label} t=${((now - start) / 1000).toFixed(0)}s rate ${step.rate}/s sent ${sent} delivered ${delivered} dup ${recorder.duplicatesIn(from, recorder.sent)} ` +
        `in-flight ${sent - delivered} p50 ${recent.p50.toFixed(2)} p99 ${recent.p99.toFixed(2)} ms loop-delay max ${(loop.max / 1e6).toFixed(0)} ms cpu ${cpuPercent.toFixed(0)}% rss ${Math.round(memoryUsage.rss() / 1e6)}MB` +
        (target.status ? ` ${target.status()}` : ""),
    );
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = fleetNow();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * step.rate));
      while (recorder.sent - from < due) {
        const seq = recorder.send(fleetNow());
        target.send(seq, cursor);
        cursor = cursor + 1 === target.devices ? 0 : cursor + 1;
      }
      if (now - lastLine >= 1000) {
        lastLine = now;
        line(now);
      }
      if (recorder.sent >= to) resolve();
      else setTimeout(tick, TICK_MS);
    };
    tick();
  });
  const sendingEnded = fleetNow();

  // Stragglers: wait until everything sent has arrived, or the drain limit.
  const drainDeadline = sendingEnded + step.drainS * 1000;
  while (recorder.delivered(from, to) < total && fleetNow() < drainDeadline) {
    await new Promise((r) => setTimeout(r, 50));
    const now = fleetNow();
    if (now - lastLine >= 1000) {
      lastLine = now;
      line(now);
    }
  }
  const drainMs = fleetNow() - sendingEnded;
  line(fleetNow());

  const cpu = cpuUsage(cpuStart);
  loop.disable();
  const delivered = recorder.delivered(from, to);
  return {
    label: target.label,
    targetRate: step.rate,
    achievedRate: Math.round(total / ((sendingEnded - start) / 1000)),
    durationS: step.durationS,
    sent: total,
    delivered,
    duplicates: recorder.duplicatesIn(from, to),
    lost: total - delivered,
    drainMs: Math.round(drainMs),
    latency: percentiles(recorder.latencies(from, to)),
    perSecond: recorder.bySecond(from, to, start),
    cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / (fleetNow() - start)) * 100),
    rssMb: Math.round(memoryUsage.rss() / 1e6),
    loopDelay: { p99: Math.round(loop.percentile(99) / 1e4) / 100, max: Math.round(loop.max / 1e4) / 100 },
    backlogAtStart,
    stealPercent: stealPercent(timesStart, cpuTimes()),
  };
}

/**
 * Waits until every message sent so far has arrived, or `limitS`: a step that begins while the
 * last one's backlog is still draining measures the backlog, not its own rate.
 */
export async function quiet(recorder: Recorder, limitS: number): Promise<number> {
  const deadline = fleetNow() + limitS * 1000;
  let waiting = recorder.sent - recorder.delivered(0, recorder.sent);
  while (waiting > 0 && fleetNow() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    waiting = recorder.sent - recorder.delivered(0, recorder.sent);
  }
  return waiting;
}
