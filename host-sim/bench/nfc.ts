/**
 * npm run bench:nfc
 *
 * 1. Tap latency in the simulator's timing model (virtual time, host-sim/nfc/pn532-sim.ts: ACK
 *    at once, answers after 2 ms, one passive activation try 8 ms, a phone activates the emulated
 *    tag 10 ms after it is in the field): from a tag placed at a random moment of the reader's
 *    cycle to its arrival event, and from removal to the leave event; with the display idle and
 *    with a payment link presented (polls then alternate with 600 ms card-mode windows). Also
 *    a phone held to the display until it has read the link. 300 placements each, seeded.
 * 2. XS computrons (xsnap, deterministic) from test/xs/checks/nfc.check.ts: a frame scan, NDEF
 *    decode and encode, and a whole tap (polls to arrival; the simulated PN532 runs in the same
 *    engine and is counted too, so these are upper bounds for the driver).
 * Prints tables and one JSON line.
 */
import { NfcReader } from "../../firmware/nfc/reader";
import { ManualClock, ManualTimers } from "../../hal/memory/clock";
import { runCheckOnXs, xsVersion } from "../../test/xs/harness";
import { SimulatedNfc, type VirtualTagKind } from "../nfc/simulated-nfc";

const RUNS = 300;
const LINK = "upi://pay?pa=demo.store@okaxis&pn=Demo%20Store&am=250.00&cu=INR&tr=T123";

function random(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Row {
  what: string;
  presenting: boolean;
  p50: number;
  p95: number;
  max: number;
}

/** Milliseconds of virtual time until `done()`, stepping 1 ms. */
function until(timers: ManualTimers, done: () => boolean, limit = 10_000): number {
  let elapsed = 0;
  while (!done() && elapsed < limit) {
    timers.advance(1);
    elapsed++;
  }
  if (!done()) throw new Error(`not done within ${limit} ms`);
  return elapsed;
}

function tapLatency(kind: VirtualTagKind | "phone", presenting: boolean, seed: number): { arrive: number[]; leave: number[] } {
  const next = random(seed);
  const timers = new ManualTimers(new ManualClock());
  const nfc = new SimulatedNfc({ timers, bus: "i2c" });
  let arrivals = 0;
  let leaves = 0;
  const reader = new NfcReader({ transport: nfc.transport, timers, onArrive: () => arrivals++, onLeave: () => leaves++ });
  if (presenting) reader.present(LINK);
  timers.advance(500);
  const arrive: number[] = [];
  const leave: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    timers.advance(Math.floor(next() * 1000));
    if (kind === "phone") {
      const before = nfc.phone.reads.length;
      nfc.placeTag("phone");
      arrive.push(until(timers, () => nfc.phone.reads.length > before));
      nfc.removeTag();
      continue;
    }
    const seen = arrivals;
    const gone = leaves;
    nfc.placeTag(kind);
    arrive.push(until(timers, () => arrivals > seen));
    timers.advance(Math.floor(next() * 500));
    nfc.removeTag();
    leave.push(until(timers, () => leaves > gone));
  }
  reader.close();
  return { arrive, leave };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const add = (what: string, presenting: boolean, values: number[]) =>
    rows.push({ what, presenting, p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(...values) });
  let seed = 1;
  for (const presenting of [false, true]) {
    for (const kind of ["ntag213-uri", "type4-ndef", "card-uid4"] as const) {
      const { arrive, leave } = tapLatency(kind, presenting, seed++);
      add(`${kind}: placed -> arrival`, presenting, arrive);
      add(`${kind}: removed -> leave`, presenting, leave);
    }
  }
  add("phone: placed -> link read", true, tapLatency("phone", true, seed++).arrive);

  console.log(`NFC tap latency, simulator timing model, virtual ms (${RUNS} placements each)\n`);
  console.log("| event | link presented | p50 | p95 | max |");
  console.log("|---|---|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.what} | ${r.presenting ? "yes" : "no"} | ${r.p50} | ${r.p95} | ${r.max} |`);

  const first = await runCheckOnXs("test/xs/checks/nfc.check.ts", { timeoutMs: 300_000 });
  const second = await runCheckOnXs("test/xs/checks/nfc.check.ts", { timeoutMs: 300_000 });
  if (!first.passed || !second.passed) throw new Error(`the NFC check failed on XS:\n${[...first.problems, ...second.problems].join("\n")}`);
  const deterministic = [...first.meters].every(([name, count]) => second.meters.get(name) === count);
  const notes: Record<string, string> = {
    "frame-scan": "one InListPassiveTarget answer (22 bytes) scanned and checked",
    "ndef-decode": "a two-record message (UPI link and text), 94 bytes",
    "ndef-encode": "one URI record",
    "tap-ntag213-uri": "placed -> arrival, NTAG213, I2C; simulated PN532 included",
    "tap-type4-ndef": "placed -> arrival, Type 4 tag, I2C; simulated PN532 included",
    "phone-read": "a phone reads the presented link; simulated PN532 and phone included",
  };
  console.log(`\nXS computrons (${xsVersion()}; ${deterministic ? "identical on two runs" : "DIFFERENT on two runs"})\n`);
  console.log("| step | computrons | note |");
  console.log("|---|---:|---|");
  for (const [name, count] of first.meters) console.log(`| ${name} | ${count.toLocaleString("en-US")} | ${notes[name] ?? ""} |`);
  console.log(JSON.stringify({ bench: "nfc", runs: RUNS, latencyMs: rows, xs: { version: xsVersion(), deterministic, computrons: Object.fromEntries(first.meters) } }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
