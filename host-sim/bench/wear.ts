/**
 * npm run bench:wear [-- --payments N --charges N --update-bytes N --days N]
 *
 * How long the ESP32's NVS partition (hal/moddable/partitions.csv) lasts under the firmware's own
 * writes. Measured, then modelled:
 * 1. the real firmware runs on the simulator (embedded aedes, the payment service) through a
 *    shop's events: power-on, payments (each to its ack), the summary, volume presses, a remote
 *    command, a telemetry period, a signed firmware update; a QR display's paid charges. A
 *    CountingKv around each device's store records every write: key, bytes, NVS entries. On the
 *    ESP32 each of those is three NVS writes (wear/intents.ts: the store's intent record written,
 *    the key, the intent erased), and everything below counts what the ESP32 writes.
 * 2. a typical day is those events counted (300 payments unless --payments says otherwise);
 *    its entries per day give page fills, and two estimates of the erases per page per day
 *    (wear/lifetime.ts): the page-fill model, and a replay of the recorded writes, day after day,
 *    through ESP-IDF's page reclaiming (wear/nvs-pages.ts), from a provisioned device's image.
 * 3. what-ifs: the same replay with writes the firmware could avoid, to say what each would save.
 * Prints tables and one JSON line.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_TELEMETRY_EVERY_MS } from "../../firmware/config";
import type { Product } from "../../hal/system";
import { nvsPartition, parsePartitionTable } from "../provision/partition-table";
import { describeWrite } from "./wear/classify";
import type { KvWrite } from "./wear/counting-kv";
import { throughIntent, throughIntents } from "./wear/intents";
import { fillModel, RATED_ERASE_CYCLES, replayDays } from "./wear/lifetime";
import { PARTITIONS_CSV, provisionedWrites } from "./wear/provisioned";
import { recordEvents, type RecordedEvent } from "./wear/record-events";
import { RingSlots } from "./wear/ring-slots";

const { values } = parseArgs({
  options: {
    payments: { type: "string", default: "300" },
    charges: { type: "string", default: "50" },
    "update-bytes": { type: "string", default: String(1536 * 1024) },
    days: { type: "string", default: "365" },
  },
});
const PAYMENTS = Number(values.payments);
const CHARGES = Number(values.charges);
const UPDATE_BYTES = Number(values["update-bytes"]);
const DAYS = Number(values.days);
for (const [name, value] of [["payments", PAYMENTS], ["charges", CHARGES], ["update-bytes", UPDATE_BYTES], ["days", DAYS]] as const)
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);

/** Unmeasured days first, so the replay is measured in the partition's steady state. */
const WARMUP_DAYS = 30;
/** A firmware update every this many days. */
const UPDATE_EVERY_DAYS = 30;
const RATES = [100, 300, 1000, 3000];
const TELEMETRY_PERIODS_PER_DAY = 86_400_000 / DEFAULT_TELEMETRY_EVERY_MS;

/** How often each recorded event happens in a day; the payment-like event scales with the rate. */
function daySpec(product: Product, payments: number): [event: string, perDay: number][] {
  if (product === "qr-display") return [["power-on", 1], ["paid charge", payments]];
  return [
    ["power-on", 1],
    ["payment", payments],
    ["summary (Replay held)", 1],
    ["volume press", 4],
    ["command (summary)", 1],
    ["telemetry period", TELEMETRY_PERIODS_PER_DAY],
    ["firmware update", 1 / UPDATE_EVERY_DAYS],
  ];
}

interface Totals {
  sets: number;
  /** Sets of the value the key already held. */
  unchanged: number;
  deletes: number;
  bytes: number;
  entries: number;
}

function totals(writes: readonly KvWrite[]): Totals {
  const t = { sets: 0, unchanged: 0, deletes: 0, bytes: 0, entries: 0 };
  for (const w of writes) {
    if (w.op === "delete") {
      t.deletes++;
      continue;
    }
    t.sets++;
    if (w.unchanged) t.unchanged++;
    t.entries += w.entries;
    t.bytes += "payloadBytes" in w.item ? w.item.payloadBytes : w.item.type === "u8" ? 1 : 4;
  }
  return t;
}

function per(t: Totals, times: number): Totals {
  return { sets: t.sets / times, unchanged: t.unchanged / times, deletes: t.deletes / times, bytes: t.bytes / times, entries: t.entries / times };
}

/** `writes` repeated `factor` times: whole copies, then the first part of one more. */
function scaled(writes: readonly KvWrite[], factor: number): KvWrite[] {
  const out: KvWrite[] = [];
  for (let i = 1; i <= factor; i++) out.push(...writes);
  const rest = Math.round((factor - Math.floor(factor)) * writes.length);
  out.push(...writes.slice(0, rest));
  return out;
}

function find(events: readonly RecordedEvent[], product: Product, name: string): RecordedEvent {
  const event = events.find((e) => e.product === product && e.name === name);
  if (!event) throw new Error(`no recorded ${product} event ${name}`);
  return event;
}

/**
 * The day's writes for the replay, day after day: every UPDATE_EVERY_DAYS-th day has an update,
 * and the rings' slots move on from one day to the next (RingSlots).
 */
function dayTraces(events: readonly RecordedEvent[], product: Product, payments: number): (n: number) => KvWrite[] {
  const plain: KvWrite[] = [];
  let update: KvWrite[] = [];
  for (const [name, perDay] of daySpec(product, payments)) {
    const event = find(events, product, name);
    if (name === "firmware update") update = event.writes;
    else plain.push(...scaled(event.writes, perDay / event.times));
  }
  const rings = new RingSlots();
  return (n) => {
    const day = n % UPDATE_EVERY_DAYS === UPDATE_EVERY_DAYS - 1 ? [...plain, ...update] : plain;
    return day.flatMap((write) => throughIntent(rings.place(write)));
  };
}

function entriesPerDay(events: readonly RecordedEvent[], product: Product, payments: number): number {
  let sum = 0;
  for (const [name, perDay] of daySpec(product, payments)) {
    const event = find(events, product, name);
    sum += (totals(throughIntents(event.writes)).entries / event.times) * perDay;
  }
  return sum;
}

/** Writes of the payment event rewritten as a firmware change would make them. */
type Rewrite = (writes: readonly KvWrite[]) => KvWrite[];

/** A journal state change recorded as one i32 ("every entry up to sequence n is <state>") instead of the whole entry rewritten. */
function asWatermark(state: "announced" | "acked"): Rewrite {
  return (writes) =>
    writes.map((w): KvWrite => (describeWrite(w) === `journal/e<slot> ${state}` ? { op: "set", domain: "journal", key: state, item: { type: "i32" }, entries: 1, value: 0 } : w));
}

const WHAT_IFS: { name: string; rewrite: Rewrite }[] = [
  { name: "as measured", rewrite: (w) => [...w] },
  { name: "acked as a 1-entry watermark", rewrite: asWatermark("acked") },
  { name: "announced and acked as watermarks", rewrite: (w) => asWatermark("acked")(asWatermark("announced")(w)) },
  {
    // Today's totals saved every 16th payment; the journal (256 entries) holds the rest to recount at boot.
    name: "totals saved every 16th payment",
    rewrite: (writes) => {
      let n = 0;
      return writes.filter((w) => w.domain !== "soundbox" || w.key !== "today" || n++ % 16 === 15);
    },
  },
];

function table(rows: (string | number)[][]): void {
  const cells = rows.map((row) => row.map(String));
  const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  for (const row of cells) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
  console.log();
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const years = (y: number) => (Number.isFinite(y) ? round(y, 0).toLocaleString("en") : "inf");

async function main(): Promise<void> {
  const partition = nvsPartition(parsePartitionTable(readFileSync(PARTITIONS_CSV, "utf8")), PARTITIONS_CSV);
  const provisioned = await provisionedWrites();
  const events = await recordEvents({ payments: PAYMENTS, charges: CHARGES, updateBytes: UPDATE_BYTES });

  console.log(`NVS partition: ${partition.size / 1024} KB (${partition.size / 4096} pages of 126 entries), rated ${RATED_ERASE_CYCLES.toLocaleString("en")} erase cycles per page\n`);
  console.log("What each event writes (per occurrence; bytes: payloads, strings with their NUL; the firmware's writes, and the NVS entries the ESP32's store makes of them with its intent records):");
  const eventRows: (string | number)[][] = [["product", "event", "times", "sets", "of them unchanged", "deletes", "bytes", "NVS entries", "ESP32 NVS entries"]];
  const eventJson = events.map((e) => {
    const t = per(totals(e.writes), e.times);
    const esp32 = per(totals(throughIntents(e.writes)), e.times);
    eventRows.push([e.product, e.name, e.times, round(t.sets, 2), round(t.unchanged, 2), round(t.deletes, 2), round(t.bytes), round(t.entries, 2), round(esp32.entries, 2)]);
    return { product: e.product, event: e.name, times: e.times, perOccurrence: t, esp32PerOccurrence: esp32 };
  });
  table(eventRows);

  const breakdownJson: Record<string, unknown> = {};
  for (const [product, name] of [["soundbox", "payment"], ["soundbox", "command (summary)"], ["soundbox", "firmware update"], ["qr-display", "paid charge"]] as const) {
    const event = find(events, product, name);
    const groups = new Map<string, KvWrite[]>();
    for (const w of event.writes) groups.set(describeWrite(w), [...(groups.get(describeWrite(w)) ?? []), w]);
    console.log(`${product} ${name}, by key (per ${name}):`);
    const rows: (string | number)[][] = [["write", "count", "bytes each", "entries each"]];
    const json: Record<string, unknown> = {};
    for (const [label, writes] of groups) {
      const sizes = writes.flatMap((w) => (w.op === "set" && "payloadBytes" in w.item ? [w.item.payloadBytes] : []));
      const entries = writes.flatMap((w) => (w.op === "set" ? [w.entries] : []));
      const range = (xs: number[]) => (xs.length === 0 ? "-" : Math.min(...xs) === Math.max(...xs) ? String(xs[0]) : `${Math.min(...xs)}-${Math.max(...xs)}`);
      rows.push([label, round(writes.length / event.times, 3), range(sizes), range(entries)]);
      json[label] = { perOccurrence: writes.length / event.times, bytes: range(sizes), entries: range(entries) };
    }
    table(rows);
    breakdownJson[`${product} ${name}`] = json;
  }

  console.log(`A typical day (telemetry every ${DEFAULT_TELEMETRY_EVERY_MS / 1000} s, a firmware update every ${UPDATE_EVERY_DAYS} days):`);
  const dayRows: (string | number)[][] = [["product", "event", "per day", "entries each", "entries per day"]];
  for (const product of ["soundbox", "qr-display"] as const) {
    for (const [name, perDay] of daySpec(product, PAYMENTS)) {
      const event = find(events, product, name);
      const each = totals(throughIntents(event.writes)).entries / event.times;
      dayRows.push([product, name, round(perDay, 3), round(each, 2), round(each * perDay)]);
    }
    dayRows.push([product, "total", "", "", round(entriesPerDay(events, product, PAYMENTS))]);
  }
  table(dayRows);

  console.log(`Lifetime: the page-fill model and the replay through NVS's page reclaiming (${WARMUP_DAYS} days warm-up, ${DAYS} days measured):`);
  const lifeRows: (string | number)[][] = [
    ["product", "payments/day", "entries/day", "page fills/day", "live entries", "pages in rotation", "model erases/page/day", "model years", "replay write amp.", "replay erases/day", "replay max erases/page/day", "replay years"],
  ];
  const lifeJson: unknown[] = [];
  for (const product of ["soundbox", "qr-display"] as const) {
    for (const rate of RATES) {
      const replay = replayDays(partition.size, provisioned.get(product) ?? [], dayTraces(events, product, rate), WARMUP_DAYS, DAYS);
      const model = fillModel(entriesPerDay(events, product, rate), replay.liveEntries, partition.size);
      lifeRows.push([
        product,
        rate,
        round(model.entriesPerDay, 0),
        round(model.pageFillsPerDay),
        replay.liveEntries,
        model.pagesInRotation,
        round(model.erasesPerPagePerDay, 2),
        years(model.years),
        round(replay.writeAmplification, 2),
        round(replay.erasesPerDay),
        round(replay.maxPageErasesPerDay, 2),
        years(replay.years),
      ]);
      lifeJson.push({ product, paymentsPerDay: rate, model, replay });
    }
  }
  table(lifeRows);

  console.log(`What-ifs (soundbox, ${PAYMENTS} payments a day, replayed as above): the firmware's payment writes rewritten`);
  const whatIfRows: (string | number)[][] = [["change", "entries/payment", "entries/day", "replay erases/day", "replay years"]];
  const whatIfJson: unknown[] = [];
  for (const whatIf of WHAT_IFS) {
    const rewritten = events.map((e) => (e.product === "soundbox" && e.name === "payment" ? { ...e, writes: whatIf.rewrite(e.writes) } : e));
    const payment = find(rewritten, "soundbox", "payment");
    const replay = replayDays(partition.size, provisioned.get("soundbox") ?? [], dayTraces(rewritten, "soundbox", PAYMENTS), WARMUP_DAYS, DAYS);
    const perPayment = totals(throughIntents(payment.writes)).entries / payment.times;
    const perDay = entriesPerDay(rewritten, "soundbox", PAYMENTS);
    whatIfRows.push([whatIf.name, round(perPayment, 2), round(perDay, 0), round(replay.erasesPerDay), years(replay.years)]);
    whatIfJson.push({ change: whatIf.name, entriesPerPayment: perPayment, entriesPerDay: perDay, replay });
  }
  table(whatIfRows);

  console.log(
    JSON.stringify({
      bench: "wear",
      partitionBytes: partition.size,
      ratedEraseCycles: RATED_ERASE_CYCLES,
      payments: PAYMENTS,
      charges: CHARGES,
      updateBytes: UPDATE_BYTES,
      warmupDays: WARMUP_DAYS,
      days: DAYS,
      events: eventJson,
      breakdown: breakdownJson,
      lifetime: lifeJson,
      whatIfs: whatIfJson,
    }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
