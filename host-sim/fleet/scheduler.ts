/**
 * One timer for a whole fleet. Ten thousand virtual devices each arm their own timers (session
 * backoff, telemetry, the soundbox's prompts); here they all live in one binary heap ordered by
 * due time, and a single Node timer is armed for the earliest. Each device gets a `Timers`
 * facade (the HAL interface) that can also cancel everything it armed, as a power cut does.
 * Cancelled entries are dropped lazily when they reach the top of the heap.
 */
import type { TimerHandle, Timers } from "../../hal/clock";

interface Entry {
  at: number;
  /** Breaks ties in arming order, so timers due together fire as armed. */
  order: number;
  callback: () => void;
  /** Repeat period, ms; 0 for a one-shot. */
  every: number;
  cancelled: boolean;
  owner: DeviceTimers;
}

export class FleetScheduler {
  readonly #heap: Entry[] = [];
  #order = 0;
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Infinity;
  #live = 0;

  constructor(
    /** Where a failing callback is reported; the other devices' timers carry on. */
    private readonly onError: (error: unknown) => void = (error) => process.emitWarning(`fleet timer callback failed: ${(error as Error)?.stack ?? String(error)}`),
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Timers that are armed and not cancelled, over every device. */
  get live(): number {
    return this.#live;
  }

  timers(): DeviceTimers {
    return new DeviceTimers(this);
  }

  /** @internal */
  add(owner: DeviceTimers, callback: () => void, ms: number, every: number): Entry {
    const entry: Entry = { at: this.now() + Math.max(0, ms), order: this.#order++, callback, every, cancelled: false, owner };
    this.#push(entry);
    this.#live++;
    this.#arm();
    return entry;
  }

  /** @internal */
  cancel(entry: Entry): void {
    if (entry.cancelled) return;
    entry.cancelled = true;
    this.#live--;
  }

  /** Stops the Node timer; armed entries stay until their owners clear them. */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  #arm(): void {
    while (this.#heap.length > 0 && this.#heap[0].cancelled) this.#pop();
    const next = this.#heap[0];
    if (!next) {
      this.stop();
      return;
    }
    if (next.at >= this.#armedFor && this.#timer) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#armedFor = next.at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, next.at - this.now()));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = this.now();
    while (this.#heap.length > 0 && this.#heap[0].at <= now) {
      const entry = this.#pop();
      if (entry.cancelled) continue;
      if (entry.every > 0) {
        entry.at = Math.max(entry.at + entry.every, now);
        entry.order = this.#order++;
        this.#push(entry);
      } else {
        entry.cancelled = true;
        this.#live--;
        entry.owner.forget(entry);
      }
      try {
        entry.callback();
      } catch (error) {
        // One device's failure must not stop every other device's timers.
        this.onError(error);
      }
    }
    this.#arm();
  }

  #less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  #pop(): Entry {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop() as Entry;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && this.#less(heap[left], heap[smallest])) smallest = left;
        if (right < heap.length && this.#less(heap[right], heap[smallest])) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  }
}

/** One device's view of the fleet's timers: the HAL Timers interface, plus clearing all at once. */
export class DeviceTimers implements Timers {
  readonly #armed = new Set<Entry>();

  constructor(private readonly scheduler: FleetScheduler) {}

  once(callback: () => void, ms: number): TimerHandle {
    const entry = this.scheduler.add(this, callback, ms, 0);
    this.#armed.add(entry);
    return entry as unknown as TimerHandle;
  }

  repeat(callback: () => void, ms: number): TimerHandle {
    const entry = this.scheduler.add(this, callback, ms, Math.max(1, ms));
    this.#armed.add(entry);
    return entry as unknown as TimerHandle;
  }

  clear(handle: TimerHandle): void {
    const entry = handle as unknown as Entry;
    if (!this.#armed.delete(entry)) return;
    this.scheduler.cancel(entry);
  }

  /** Cancels every timer this device armed, as a power cut would. */
  clearAll(): void {
    for (const entry of this.#armed) this.scheduler.cancel(entry);
    this.#armed.clear();
  }

  /** @internal A one-shot fired. */
  forget(entry: Entry): void {
    this.#armed.delete(entry);
  }
}
