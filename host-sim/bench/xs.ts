/**
 * npm run bench:xs
 *
 * What one payment confirmation costs on the XS engine, the engine the device runs, in computrons
 * (XS's instruction meter: the same count on every run and every machine). The firmware is bundled
 * as the Moddable build sees it and run by xsnap (test/xs/harness.ts) through
 * test/xs/checks/meter.check.ts, which meters each step of the pipeline on a warm device:
 *
 *   decode   payload bytes -> envelope (strict CBOR)
 *   verify   HMAC-SHA256 of the body, constant-time compare, body decode and checks
 *   hmac     the HMAC alone: JavaScript here, native (Moddable's crypt) on the device
 *   journal  the NVS write of the entry (a Map in the in-memory HAL, not flash)
 *   compose  the announcement's clip list and the ack
 *   total    the whole receive(), decode to ack, announcement queued
 * and one `config` command through the dispatcher. The run is made twice; the counts must match.
 * Prints a table and one JSON line.
 */
import { describeRun, runCheckOnXs, xsVersion } from "../../test/xs/harness";

const CHECK = "test/xs/checks/meter.check.ts";

const STEPS: [key: string, label: string, note: string][] = [
  ["decode", "decode", "payload -> envelope"],
  ["verify", "verify", "includes the HMAC below"],
  ["hmac", "  of which HMAC", "software here; native crypt on the device"],
  ["journal", "journal", "entry encoded and stored (in-memory NVS)"],
  ["compose", "compose", "clip list and ack"],
  ["confirmation", "total", "receive(): decode to ack, announcement queued"],
];

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

async function meters(): Promise<Map<string, number>> {
  const run = await runCheckOnXs(CHECK, { timeoutMs: 120_000 });
  if (!run.passed) throw new Error(`the meter check failed on XS:\n${describeRun(run)}`);
  return run.meters;
}

async function main(): Promise<void> {
  const version = xsVersion();
  const first = await meters();
  const second = await meters();
  const deterministic = [...first].every(([name, count]) => second.get(name) === count);
  const m = (name: string) => {
    const value = first.get(name);
    if (value === undefined) throw new Error(`${CHECK} printed no meter "${name}"`);
    return value;
  };
  const total = m("confirmation");
  const withoutHmac = total - m("hmac");

  console.log(`XS computrons for one payment confirmation (${version}, xsnap from @agoric/xsnap)\n`);
  console.log(`| ${pad("step", 16)} | ${pad("computrons", 10, true)} | ${pad("of total", 8, true)} | note |`);
  console.log(`|${"-".repeat(18)}|${"-".repeat(11)}:|${"-".repeat(9)}:|---|`);
  for (const [key, label, note] of STEPS) {
    const value = m(key);
    console.log(`| ${pad(label, 16)} | ${pad(value.toLocaleString("en-US"), 10, true)} | ${pad(`${((100 * value) / total).toFixed(1)}%`, 8, true)} | ${note} |`);
  }
  console.log(`| ${pad("total w/o HMAC", 16)} | ${pad(withoutHmac.toLocaleString("en-US"), 10, true)} | ${pad(`${((100 * withoutHmac) / total).toFixed(1)}%`, 8, true)} | what XS runs when the HMAC is native |`);
  console.log(`| ${pad("config command", 16)} | ${pad(m("command").toLocaleString("en-US"), 10, true)} | ${pad("", 8, true)} | one command, decode to result (HMAC in software) |`);
  console.log(`\nsame counts on a second run: ${deterministic ? "yes" : "NO"}`);
  console.log(
    JSON.stringify({
      bench: "xs",
      engine: version,
      computrons: Object.fromEntries(first),
      totalWithoutSoftwareHmac: withoutHmac,
      deterministic,
    }),
  );
  if (!deterministic) process.exitCode = 1;
}

main().catch((error) => {
  console.error(`bench:xs: ${(error as Error).message}`);
  process.exitCode = 1;
});
