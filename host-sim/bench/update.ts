/**
 * npm run bench:update [-- --size BYTES --runs N]
 *
 * A signed firmware update on the host simulator, end to end, per broker and chunk size: the
 * `update` command, the block table, the chunks (8 per request, each block hashed as it lands, the
 * slot on disk), the read-back of the whole slot, then the switch: restart, trial boot, connected
 * and subscribed, confirmed. Times are from the command to the device's upd/state reports:
 *   download : to "ready" (the slot verified)
 *   total    : to "confirmed" (includes the 0.5 s the device gives its "switching" report)
 * Throughput is image bytes over the download time. Prints a table and one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Mosquitto } from "../../test/support/mosquitto";
import { startEmbeddedBroker } from "../broker/embedded";
import { loadReleasePrivateKey, releaseKeyDir, releaseKeyPaths } from "../release/keys";
import { publishRelease } from "../release/publish";
import { signRelease } from "../release/sign";
import { buildSimImage } from "../release/sim-image";
import { Simulator } from "../simulator";

const DEVICE = "bench-sb";

interface Row {
  broker: string;
  chunk: number;
  runs: number;
  downloadMs: number;
  totalMs: number;
  kibPerS: number;
  chunks: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(brokerName: string, brokerUrl: string, size: number, chunk: number, runs: number, firstMinor: number): Promise<Row> {
  const stateDir = mkdtempSync(join(tmpdir(), "payterm-bench-update-"));
  const simulator = await Simulator.start({ stateDir, brokerUrl, devices: [{ deviceId: DEVICE, product: "soundbox" }] });
  try {
    await simulator.device(DEVICE).log.waitFor((e) => e.name === "subscribed", 10_000);
    const key = loadReleasePrivateKey(releaseKeyPaths(releaseKeyDir(stateDir)).privateKeyPath);
    const downloads: number[] = [];
    const totals: number[] = [];
    let chunks = 0;
    for (let run = 0; run < runs; run++) {
      const version = `1.${firstMinor + run}.0`;
      const release = signRelease({ image: buildSimImage({ version, product: "soundbox" }, size), kind: "firmware", product: "soundbox", version, minVersion: "0.1.0", chunkSize: chunk }, key);
      const started = performance.now();
      let ready = 0;
      const [outcome] = await publishRelease({
        brokerUrl,
        release,
        devices: [DEVICE],
        keyFor: (id) => simulator.registry.keyFor(id),
        timeoutMs: 120_000,
        onState: (state) => {
          if (state.stage === "ready") ready = performance.now();
        },
        server: {
          chunkFilter: (_id, _offset, data) => {
            chunks++;
            return data;
          },
        },
      });
      if (outcome.outcome !== "updated") throw new Error(`run ${run}: ${JSON.stringify(outcome)}`);
      downloads.push(ready - started);
      totals.push(performance.now() - started);
    }
    const downloadMs = median(downloads);
    return {
      broker: brokerName,
      chunk,
      runs,
      downloadMs: Math.round(downloadMs),
      totalMs: Math.round(median(totals)),
      kibPerS: Math.round(size / 1024 / (downloadMs / 1000)),
      chunks: Math.round(chunks / runs),
    };
  } finally {
    await simulator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { size: { type: "string", default: String(1536 * 1024) }, runs: { type: "string", default: "3" } } });
  const size = Number(values.size);
  const runs = Number(values.runs);
  if (!Number.isInteger(size) || size < 4096) throw new Error("--size must be an integer of at least 4096 bytes");
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");
  const rows: Row[] = [];
  const aedes = await startEmbeddedBroker();
  // As bench:latency: mosquitto leaves Nagle on unless told, which adds delayed-ACK waits per request.
  const mosquitto = await Mosquitto.start("allow_anonymous true\nset_tcp_nodelay true\n");
  try {
    let minor = 1;
    for (const [name, url] of [["aedes", aedes.url], ["mosquitto", mosquitto.url]] as const) {
      for (const chunk of [2048, 1024]) {
        rows.push(await measure(name, url, size, chunk, runs, minor));
        minor += runs;
      }
    }
  } finally {
    await aedes.close();
    await mosquitto.stop();
  }
  console.log(`signed update of a ${(size / 1024).toFixed(0)} KiB image to one simulated soundbox, median of ${runs} runs`);
  console.log("| broker | chunk | download (to ready) | total (to confirmed) | throughput | chunks sent |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.broker} | ${r.chunk} B | ${r.downloadMs} ms | ${r.totalMs} ms | ${r.kibPerS} KiB/s | ${r.chunks} |`);
  console.log(JSON.stringify({ bench: "update", size, rows }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
