/**
 * How the fleet's process collects garbage. Ten thousand virtual soundboxes keep per-device state
 * (journal slots, daily totals, the last sentence, the MQTT client's buffers) that is replaced at
 * each payment to that device, a few seconds apart: it outlives V8's young generation, fills the
 * old one, and V8's defaults then stop a device thread for tens of milliseconds per scavenge and
 * mark its whole heap every few seconds. Measured on the 2-core machine, 10,000 devices at
 * 2,000/s (docs/fleet.md, "Garbage collection"):
 * - a small young generation per device thread keeps each scavenge to a few milliseconds, so a
 *   pause delays a few messages by little instead of many by much;
 * - a larger heap growth factor lets the old generation grow for minutes before a full marking,
 *   counted from a full collection each thread makes once its side has started
 *   (collect-garbage.ts);
 * - no memory reducer: it forces a full marking on any heap that has gone 100 s without one, so
 *   both device threads, collected together at start-up, stopped together 100 s later.
 * The floor runs in the main thread, under the same growth factor; that thread's heap was made
 * before the flag was set and keeps its reducer (it marks little: the service, the pacing).
 */
import { setFlagsFromString } from "node:v8";
import type { ResourceLimits } from "node:worker_threads";

/** Young generation of each device thread: two 2 MB semi-spaces and their large-object space. */
export const DEVICE_THREAD_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 6 };

/**
 * The old generation may grow to eleven times what was live after the last full collection: at
 * 2,000/s a device thread then marks its heap every few minutes, not every few seconds.
 */
const HEAP_GROWING_PERCENT = 1000;

/**
 * Process-wide. V8 reads the growth flag each time it sizes an old generation, and the reducer
 * flag when it creates a heap: before the device threads start, so theirs have no reducer.
 */
export function tuneGarbageCollection(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  setFlagsFromString("--no-memory-reducer");
}
