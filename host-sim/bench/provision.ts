/**
 * npm run bench:provision [-- --merchants N --tls M]
 *
 * What a provisioning run costs, stage by stage: a batch of N merchants (one soundbox each, UPI
 * stickers, password credentials), the same batch again (the idempotent rerun: nothing changes),
 * and a batch of M devices with RSA client certificates from a new CA. Also the NVS image codec
 * alone: encoding and reading back one device's 128 KB image. Prints a table and one JSON line.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { projectRoot } from "../paths";
import { encodeKvImage } from "../provision/nvs/kv-image";
import { readNvs } from "../provision/nvs/reader";
import type { Progress } from "../provision/progress";
import { provision, type ProvisionRequest } from "../provision/provision";

const { values } = parseArgs({ options: { merchants: { type: "string", default: "300" }, tls: { type: "string", default: "8" } } });
const MERCHANTS = Number(values.merchants);
const TLS_DEVICES = Number(values.tls);
const PARTITIONS = join(projectRoot, "hal", "moddable", "partitions.csv");

/** Records how long each stage (begin .. end) took. */
function stageClock(): Progress & { stages: Record<string, number> } {
  const stages: Record<string, number> = {};
  let name = "";
  let started = 0;
  return {
    stages,
    begin(_total, what) {
      name = what;
      started = performance.now();
    },
    step() {},
    end() {
      stages[name] = performance.now() - started;
    },
  };
}

function request(out: string, overrides: Partial<ProvisionRequest>, progress: Progress): ProvisionRequest {
  return {
    out,
    brokerUrl: "mqtt://broker.example.com:1883",
    rotate: false,
    partitionTable: { text: readFileSync(PARTITIONS, "utf8"), source: PARTITIONS },
    chip: "esp32",
    baud: 921600,
    keepalive: 60,
    certificateDays: 3650,
    now: new Date(),
    progress,
    ...overrides,
  };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

const dir = mkdtempSync(join(tmpdir(), "payterm-bench-provision-"));
try {
  const rows = ["merchant_id,name,vpa,product"];
  for (let i = 1; i <= MERCHANTS; i++) rows.push(`M-${i},Shop ${i},shop.${i}@okaxis,soundbox`);
  const merchants = { source: "bench.csv", text: `${rows.join("\n")}\n` };

  const first = stageClock();
  const firstMs = await timed(() => provision(request(join(dir, "batch"), { merchants }, first)));
  const rerun = stageClock();
  const rerunMs = await timed(() => provision(request(join(dir, "batch"), { merchants }, rerun)));
  const tls = stageClock();
  const tlsMs = await timed(() =>
    provision(request(join(dir, "tls"), { count: TLS_DEVICES, product: "soundbox", auth: "tls", brokerUrl: "mqtts://broker.example.com" }, tls)),
  );

  const domains = [
    ["config", [["id", "pt-sb-abcdefghij"], ["host", "broker.example.com"], ["port", 8883], ["tls", true], ["pass", "x".repeat(32)]]],
    ["keys", [["k1", new ArrayBuffer(32)]]],
    ["tls", [["ca", new ArrayBuffer(900)], ["cert", new ArrayBuffer(800)], ["key", new ArrayBuffer(1218)]]],
  ] as const;
  const codecRuns = 200;
  let image: Uint8Array = new Uint8Array(0);
  const encodeMs = await timed(async () => {
    for (let i = 0; i < codecRuns; i++) image = encodeKvImage(domains as never, 0x20000);
  });
  const readMs = await timed(async () => {
    for (let i = 0; i < codecRuns; i++) readNvs(image);
  });

  const result = {
    merchants: MERCHANTS,
    firstRunMs: Math.round(firstMs),
    perDeviceMs: +(firstMs / MERCHANTS).toFixed(2),
    firstRunStagesMs: Object.fromEntries(Object.entries(first.stages).map(([k, v]) => [k, Math.round(v)])),
    rerunMs: Math.round(rerunMs),
    tlsDevices: TLS_DEVICES,
    tlsRunMs: Math.round(tlsMs),
    perCertificateMs: Math.round((tls.stages.certificates ?? 0) / (TLS_DEVICES + 1)),
    cores: availableParallelism(),
    nvsEncodeMs: +(encodeMs / codecRuns).toFixed(3),
    nvsReadMs: +(readMs / codecRuns).toFixed(3),
  };
  const table = [
    ["measure", "value"],
    [`batch of ${MERCHANTS} soundboxes with stickers (passwords)`, `${result.firstRunMs} ms, ${result.perDeviceMs} ms per device`],
    ...Object.entries(result.firstRunStagesMs).map(([stage, ms]) => [`  stage: ${stage}`, `${ms} ms`]),
    ["the same batch again (nothing changes)", `${result.rerunMs} ms`],
    [`batch of ${TLS_DEVICES} with client certificates (new CA)`, `${result.tlsRunMs} ms, ${result.perCertificateMs} ms per certificate on ${result.cores} cores`],
    ["NVS image (128 KB): encode / read back", `${result.nvsEncodeMs} ms / ${result.nvsReadMs} ms`],
  ];
  const width = Math.max(...table.map((r) => r[0].length));
  for (const [a, b] of table) console.log(`${a.padEnd(width)}  ${b}`);
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
