/** Wall and monotonic time. Device code never reads time any other way. */
export interface Clock {
  /** Milliseconds since the Unix epoch. Jumps when the network sets the time. */
  now(): number;
  /** Milliseconds from an arbitrary origin; never goes back. For intervals and timeouts. */
  monotonic(): number;
}

export type TimerHandle = { readonly __timer: unique symbol };

/** One-shot and repeating timers, as Moddable's `timer` module offers them. */
export interface Timers {
  once(callback: () => void, ms: number): TimerHandle;
  repeat(callback: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle): void;
}
