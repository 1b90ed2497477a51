/**
 * Clock and timers on Moddable's `timer` and `time` modules.
 * Needs: "timer", "time" (both in every Moddable build).
 */
import Timer from "timer";
import Time from "time";
import type { Clock, TimerHandle, Timers } from "../clock";

/** Time.ticks is a 32-bit millisecond counter on ESP32; sampling at least this often catches every wrap. */
const WRAP_SAMPLE_MS = 60 * 60 * 1000;

export class ModdableClock implements Clock {
  #lastTicks = Time.ticks;
  #elapsed = 0;
  readonly #sampler: Timer;

  constructor() {
    this.#sampler = Timer.repeat(() => {
      this.monotonic();
    }, WRAP_SAMPLE_MS);
  }

  now(): number {
    return Date.now();
  }

  monotonic(): number {
    const ticks = Time.ticks;
    // `>>> 0` turns a signed or unsigned 32-bit wrap into the true forward distance.
    this.#elapsed += (ticks - this.#lastTicks) >>> 0;
    this.#lastTicks = ticks;
    return this.#elapsed;
  }

  close(): void {
    Timer.clear(this.#sampler);
  }
}

/** The HAL handle is Moddable's Timer object itself, branded. */
function toHandle(timer: Timer): TimerHandle {
  return timer as unknown as TimerHandle;
}

function fromHandle(handle: TimerHandle): Timer {
  return handle as unknown as Timer;
}

export class ModdableTimers implements Timers {
  once(callback: () => void, ms: number): TimerHandle {
    return toHandle(Timer.set(() => callback(), ms));
  }

  repeat(callback: () => void, ms: number): TimerHandle {
    return toHandle(Timer.repeat(() => callback(), ms));
  }

  /** Clearing a one-shot timer that has already fired is harmless. */
  clear(handle: TimerHandle): void {
    Timer.clear(fromHandle(handle));
  }
}
