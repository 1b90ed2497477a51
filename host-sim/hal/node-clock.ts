import { performance } from "node:perf_hooks";
import type { Clock, TimerHandle, Timers } from "../../hal/clock";

export const nodeClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** Timers on Node's event loop; they never keep the process alive on their own. */
export class NodeTimers implements Timers {
  readonly #live = new Set<NodeJS.Timeout>();

  once(callback: () => void, ms: number): TimerHandle {
    const timer = setTimeout(() => {
      this.#live.delete(timer);
      callback();
    }, ms);
    timer.unref();
    this.#live.add(timer);
    return timer as unknown as TimerHandle;
  }

  repeat(callback: () => void, ms: number): TimerHandle {
    const timer = setInterval(callback, ms);
    timer.unref();
    this.#live.add(timer);
    return timer as unknown as TimerHandle;
  }

  clear(handle: TimerHandle): void {
    const timer = handle as unknown as NodeJS.Timeout;
    clearTimeout(timer);
    this.#live.delete(timer);
  }

  /** Cancels every timer, as a power cut would. */
  clearAll(): void {
    for (const timer of this.#live) clearTimeout(timer);
    this.#live.clear();
  }
}
