import type { Clock, TimerHandle, Timers } from "../clock";

/** Virtual time: it moves only when a test says so. */
export class ManualClock implements Clock {
  #wall: number;
  #monotonic = 0;

  /** `epochMs` is the wall time at monotonic 0. */
  constructor(epochMs = Date.UTC(2025, 0, 1)) {
    this.#wall = epochMs;
  }

  now(): number {
    return this.#wall;
  }

  monotonic(): number {
    return this.#monotonic;
  }

  /** Moves both clocks forward. Use ManualTimers.advance to also run the timers that fall due. */
  tick(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`time only moves forward, got ${ms}`);
    this.#wall += ms;
    this.#monotonic += ms;
  }

  /** Jumps the wall clock only, as an SNTP update does. */
  setWallTime(epochMs: number): void {
    this.#wall = epochMs;
  }
}

interface Pending {
  readonly id: number;
  readonly callback: () => void;
  readonly interval: number | undefined;
  due: number;
}

/** Timers on a ManualClock: `advance(ms)` runs what falls due, in due-time then creation order. */
export class ManualTimers implements Timers {
  readonly #clock: ManualClock;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  get clock(): ManualClock {
    return this.#clock;
  }

  /** Timers set and not yet fired or cleared. */
  get size(): number {
    return this.#pending.size;
  }

  once(callback: () => void, ms: number): TimerHandle {
    return this.#add(callback, ms, undefined);
  }

  repeat(callback: () => void, ms: number): TimerHandle {
    return this.#add(callback, ms, Math.max(1, ms));
  }

  clear(handle: TimerHandle): void {
    this.#pending.delete((handle as unknown as { id: number }).id);
  }

  /** Monotonic time at which the next timer falls due, if any. */
  nextDue(): number | undefined {
    return this.#next()?.due;
  }

  /** Moves time forward by `ms`, running each timer at its own due time. Returns how many ran. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`time only moves forward, got ${ms}`);
    const end = this.#clock.monotonic() + ms;
    let ran = 0;
    for (let next = this.#next(); next && next.due <= end; next = this.#next()) {
      this.#clock.tick(next.due - this.#clock.monotonic());
      if (next.interval === undefined) this.#pending.delete(next.id);
      else next.due += next.interval;
      ran++;
      next.callback();
    }
    this.#clock.tick(end - this.#clock.monotonic());
    return ran;
  }

  #add(callback: () => void, ms: number, interval: number | undefined): TimerHandle {
    const id = this.#nextId++;
    this.#pending.set(id, { id, callback, interval, due: this.#clock.monotonic() + Math.max(0, ms) });
    return { id } as unknown as TimerHandle;
  }

  #next(): Pending | undefined {
    let best: Pending | undefined;
    for (const timer of this.#pending.values()) if (!best || timer.due < best.due) best = timer;
    return best;
  }
}
