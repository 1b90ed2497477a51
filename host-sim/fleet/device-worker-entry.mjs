// The worker thread's entry: it registers tsx's loader in this thread, then loads the TypeScript
// worker, so a worker runs the same sources whether the process was started by tsx or by jest.
import { register } from "tsx/esm/api";

register();
await import("./device-worker.ts");
