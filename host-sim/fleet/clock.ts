/**
 * Milliseconds on a clock every thread of the process shares: performance.now() counts from each
 * thread's own start, so a send stamped in one thread and an arrival stamped in a worker are
 * compared on timeOrigin + now.
 */
export function fleetNow(): number {
  return performance.timeOrigin + performance.now();
}
