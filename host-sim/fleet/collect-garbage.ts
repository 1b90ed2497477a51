/**
 * A full garbage collection of this thread's heap, on demand. With the heap growth of
 * gc-settings.ts, V8 sizes the old generation from what was live after the last full collection:
 * one made once start-up is over sizes it from the settled fleet, not from whatever was live at
 * some early moment of start-up, and the next full marking then falls minutes later rather than in
 * the middle of the measured step.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    // A context created after the flag is set has `gc`; the flag is the process's, threads included.
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}
