/**
 * payterm fleet: N virtual soundboxes (the real firmware, no audio rendered) and the payment
 * service paying them at R confirmations per second, beside a bare mqtt.js floor measured in the
 * same run. Progress lines while it runs; at the end a table, one JSON line and an HTML chart.
 * Exit code 0 when the fleet's warm-up and main step lost and duplicated nothing, 1 otherwise, 2 for
 * usage.
 */
import { join } from "node:path";
import { projectRoot } from "../paths";
import type { BrokerChoice } from "../fleet/broker";
import { formatJson, formatTable, writeHtml } from "../fleet/report";
import { runFleet, type RampOptions } from "../fleet/run";
import { parseFlags, UsageError } from "./args";
import type { Command } from "./command";

function number(value: string | undefined, name: string, min: number, max: number, integer = true): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max)
    throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

export const fleetCommand: Command = {
  name: "fleet",
  usage: [
    "payterm fleet [--devices N] [--rate R] [--duration S] [--broker URL | --mosquitto] [--no-floor] [--drain S] [--concurrency C] [--workers W] [--warmup S] [--out FILE.html]",
    "payterm fleet --ramp [--ramp-start R] [--ramp-factor F] [--ramp-step S] [--ramp-max R] [--duration 0] ...",
  ],
  async run(args) {
    const o = parseFlags(args, {
      devices: { type: "string", default: "100" },
      rate: { type: "string", default: "50" },
      duration: { type: "string", default: "10" },
      broker: { type: "string" },
      mosquitto: { type: "boolean", default: false },
      "no-floor": { type: "boolean", default: false },
      drain: { type: "string", default: "15" },
      concurrency: { type: "string", default: "250" },
      workers: { type: "string", default: "2" },
      warmup: { type: "string", default: "10" },
      out: { type: "string" },
      ramp: { type: "boolean", default: false },
      "ramp-start": { type: "string" },
      "ramp-factor": { type: "string", default: "1.25" },
      "ramp-step": { type: "string", default: "10" },
      "ramp-max": { type: "string", default: "50000" },
    });
    if (o.broker && o.mosquitto) throw new UsageError("--broker and --mosquitto exclude each other");
    let broker: BrokerChoice = { kind: o.mosquitto ? "mosquitto" : "aedes" };
    if (o.broker) {
      let url: URL;
      try {
        url = new URL(o.broker);
      } catch {
        throw new UsageError(`--broker must be a URL such as mqtt://host:1883, got ${JSON.stringify(o.broker)}`);
      }
      if (url.protocol !== "mqtt:") throw new UsageError(`--broker must be mqtt://host:port (the fleet's devices connect without TLS), got ${o.broker}`);
      broker = { kind: "url", url: o.broker };
    }
    const devices = number(o.devices, "devices", 1, 20_000) as number;
    const rate = number(o.rate, "rate", 1, 100_000) as number;
    const durationS = number(o.duration, "duration", 0, 3600) as number;
    if (durationS === 0 && !o.ramp) throw new UsageError("--duration 0 only makes sense with --ramp");
    let ramp: RampOptions | undefined;
    if (o.ramp) {
      ramp = {
        startRate: number(o["ramp-start"], "ramp-start", 1, 100_000) ?? rate,
        factor: number(o["ramp-factor"], "ramp-factor", 1.05, 4, false) as number,
        stepS: number(o["ramp-step"], "ramp-step", 1, 600) as number,
        maxRate: number(o["ramp-max"], "ramp-max", 1, 1_000_000) as number,
      };
    }
    const result = await runFleet({
      broker,
      devices,
      rate,
      durationS,
      drainS: number(o.drain, "drain", 1, 600) as number,
      floor: !o["no-floor"],
      ramp,
      concurrency: number(o.concurrency, "concurrency", 1, 5000) as number,
      workers: number(o.workers, "workers", 0, 16) as number,
      warmupS: number(o.warmup, "warmup", 0, 600) as number,
      progress: (line) => console.log(line),
    });
    const out = o.out ?? join(projectRoot, "build", "fleet", `fleet-${result.runId}.html`);
    writeHtml(out, result);
    console.log(`\n${formatTable(result)}\n`);
    console.log(formatJson(result));
    console.log(`chart: ${out}`);
    const main = result.fleet.main ?? result.fleet.ramp?.steps[0];
    const clean = (step: { lost: number; duplicates: number } | undefined) => !step || (step.lost === 0 && step.duplicates === 0);
    return main && clean(main) && clean(result.fleet.warmup) ? 0 : 1;
  },
};
