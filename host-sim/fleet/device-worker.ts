/**
 * A worker thread holding one group of virtual soundboxes (device-group.ts). It talks to the
 * fleet in the main thread by messages: announcements go out in batches every few milliseconds
 * as [seq, time] pairs in one Float64Array, counts with them; the main thread says when to stop.
 */
import { parentPort, workerData } from "node:worker_threads";
import { collectGarbage } from "./collect-garbage";
import { DeviceGroup, type DeviceGroupOptions, type GroupCounts } from "./device-group";

export type ToWorker = { type: "stop"; cleanUp: boolean };

export type FromWorker =
  | { type: "events"; announced: Float64Array; counts: GroupCounts }
  | { type: "progress"; line: string }
  | { type: "started"; connectMs: number }
  | { type: "stopped" }
  | { type: "failed"; message: string };

/** Announcements are flushed this often; a batch also goes as soon as it is large. */
const FLUSH_MS = 5;
const BATCH = 4096;

const port = parentPort;
if (!port) throw new Error("device-worker.ts runs as a worker thread");

const pairs = new Float64Array(BATCH * 2);
let used = 0;
let counts: GroupCounts | undefined;

function flush(): void {
  if (used === 0 && !counts) return;
  const announced = pairs.slice(0, used);
  used = 0;
  const message: FromWorker = { type: "events", announced, counts: counts ?? group.counts };
  counts = undefined;
  port!.postMessage(message, [announced.buffer]);
}

const group = new DeviceGroup(workerData as DeviceGroupOptions, {
  announced(seq, at) {
    if (used + 2 > pairs.length) flush();
    pairs[used++] = seq;
    pairs[used++] = at;
  },
  counted(latest) {
    counts = latest;
  },
  progress(line) {
    port!.postMessage({ type: "progress", line } satisfies FromWorker);
  },
});

const flusher = setInterval(flush, FLUSH_MS);

port.on("message", (message: ToWorker) => {
  if (message.type !== "stop") return;
  group
    .stop(message.cleanUp)
    .then(() => {
      flush();
      clearInterval(flusher);
      port.postMessage({ type: "stopped" } satisfies FromWorker);
      port.close();
    })
    .catch((error: Error) => port.postMessage({ type: "failed", message: error.message } satisfies FromWorker));
});

group
  .start()
  .then((connectMs) => {
    flush();
    collectGarbage();
    port.postMessage({ type: "started", connectMs } satisfies FromWorker);
  })
  .catch((error: Error) => port.postMessage({ type: "failed", message: error.message } satisfies FromWorker));
