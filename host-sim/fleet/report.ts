/**
 * A fleet run's results for people: a Markdown table, one JSON line, and an HTML page with the
 * latency over time (p50 and p99 per second, fleet beside floor) and the ramp's steps, drawn as
 * inline SVG so the file stands alone.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { LoadResult } from "./load";
import type { SecondStats } from "./recorder";
import { held, type FleetRunResult, type SideResult } from "./run";

const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? "–" : value.toFixed(2));

function row(name: string, side: SideResult | undefined, step: LoadResult | undefined): string {
  const cells =
    side && step
      ? [
          name,
          side.devices.toLocaleString("en-US"),
          `${(side.connectMs / 1000).toFixed(1)} s`,
          `${step.targetRate} / ${step.achievedRate}`,
          step.sent.toLocaleString("en-US"),
          step.delivered.toLocaleString("en-US"),
          String(step.duplicates),
          String(step.lost),
          ms(step.latency.p50),
          ms(step.latency.p95),
          ms(step.latency.p99),
          `${step.cpuPercent}%`,
        ]
      : [name, ...new Array<string>(11).fill("–")];
  return `| ${cells.join(" | ")} |`;
}

export function formatTable(r: FleetRunResult): string {
  const lines = [
    `fleet run ${r.runId}: ${r.options.devices.toLocaleString("en-US")} devices, ${r.options.rate}/s for ${r.options.durationS} s on ${r.broker}`,
    `machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node}; load average before ${r.machine.loadBefore.join(" ")}, after ${r.machine.loadAfter.join(" ")}`,
    "",
    "| side | devices | connected in | rate target / sent | sent | delivered | duplicates | lost | p50 ms | p95 ms | p99 ms | CPU (this process) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    row("bare mqtt.js (floor)", r.floor, r.floor?.main),
    row("virtual soundboxes", r.fleet, r.fleet.main),
  ];
  if (r.p99Ratio !== undefined) lines.push("", `fleet p99 / floor p99: ${r.p99Ratio}`);
  const steal = (step: LoadResult | undefined) => (step?.stealPercent === undefined ? "–" : `${step.stealPercent}%`);
  lines.push(`CPU stolen by the hypervisor over the main step: floor ${steal(r.floor?.main)}, fleet ${steal(r.fleet.main)} (above a few percent the latencies measure the host)`);
  const c = r.fleet.deviceCounts;
  lines.push(`fleet: ${c.acks.toLocaleString("en-US")} acks, ${r.fleet.serviceRetries} retries by the service, ${c.deviceDuplicates} copies refused as duplicates by devices, ${c.rejected} rejected, ${c.disconnects} disconnects, ${c.sendErrors} send errors; devices in ${r.options.workers || "no"} worker thread${r.options.workers === 1 ? "" : "s"}`);
  for (const [name, side] of [["floor", r.floor], ["fleet", r.fleet]] as const) {
    const w = side?.warmup;
    if (w) lines.push(`${name} warm-up (not measured): ${w.targetRate}/s for ${w.durationS} s, ${w.sent.toLocaleString("en-US")} sent, ${w.lost} lost, ${w.duplicates} duplicates, p99 ${ms(w.latency.p99)} ms`);
  }
  if (r.brokerCpuSeconds !== undefined) lines.push(`broker process CPU over the run: ${r.brokerCpuSeconds} s`);
  for (const [name, side] of [["floor", r.floor], ["fleet", r.fleet]] as const) {
    if (!side?.ramp) continue;
    lines.push("", `${name} ramp (${r.options.ramp?.stepS} s steps): highest rate held with nothing lost: ${side.ramp.highestHeld ?? "none"}/s`);
    lines.push("| rate | sent at | lost | dup | p50 ms | p99 ms | drain ms | backlog at start | held |", "|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (const step of side.ramp.steps)
      lines.push(`| ${step.targetRate} | ${step.achievedRate} | ${step.lost} | ${step.duplicates} | ${ms(step.latency.p50)} | ${ms(step.latency.p99)} | ${step.drainMs} | ${step.backlogAtStart} | ${held(step) ? "yes" : "no"} |`);
  }
  return lines.join("\n");
}

/** The JSON line: everything except the per-second series (those are in the HTML). */
export function formatJson(r: FleetRunResult): string {
  return JSON.stringify(r, (key, value: unknown) => (key === "perSecond" ? undefined : value));
}

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Latencies span four orders of magnitude between floor and an overloaded fleet: a log scale. */
function lineChart(series: { name: string; color: string; points: SecondStats[]; pick: (s: SecondStats) => number }[], title: string): string {
  const width = 860;
  const height = 300;
  const pad = { left: 56, right: 16, top: 28, bottom: 36 };
  const all = series.flatMap((s) => s.points.map(s.pick)).filter((v) => Number.isFinite(v) && v > 0);
  const low = Math.floor(Math.log10(Math.max(0.01, Math.min(1, ...all))));
  const high = Math.ceil(Math.log10(Math.max(10, ...all)));
  const maxX = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.second)));
  const x = (second: number) => pad.left + (second / maxX) * (width - pad.left - pad.right);
  const y = (value: number) => height - pad.bottom - ((Math.log10(Math.max(value, 10 ** low)) - low) / (high - low)) * (height - pad.top - pad.bottom);
  const paths = series
    .map((s) => {
      const d = s.points.filter((p) => Number.isFinite(s.pick(p))).map((p, i) => `${i === 0 ? "M" : "L"}${x(p.second).toFixed(1)},${y(s.pick(p)).toFixed(1)}`).join(" ");
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`;
    })
    .join("");
  const ticks = Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i))
    .map((v) => `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end">${v >= 1 ? v.toFixed(0) : v}</text>`)
    .join("");
  const legend = series.map((s, i) => `<rect x="${pad.left + 10 + i * 190}" y="8" width="12" height="3" fill="${s.color}"/><text x="${pad.left + 26 + i * 190}" y="13">${escape(s.name)}</text>`).join("");
  return `<figure><figcaption>${escape(title)}</figcaption><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-size="11" font-family="sans-serif">${ticks}${paths}${legend}<text x="${width / 2}" y="${height - 6}" text-anchor="middle">seconds into the step (by send time)</text><text x="12" y="${height / 2}" transform="rotate(-90 12 ${height / 2})" text-anchor="middle">latency, ms (log scale)</text></svg></figure>`;
}

function rampChart(r: FleetRunResult): string {
  const sides = [
    { name: "floor", color: "#888", steps: r.floor?.ramp?.steps ?? [] },
    { name: "fleet", color: "#c0392b", steps: r.fleet.ramp?.steps ?? [] },
  ].filter((s) => s.steps.length > 0);
  if (sides.length === 0) return "";
  const rows = sides
    .flatMap((s) => s.steps.map((step) => `<tr><td>${s.name}</td><td>${step.targetRate}</td><td>${step.achievedRate}</td><td>${step.lost}</td><td>${ms(step.latency.p50)}</td><td>${ms(step.latency.p99)}</td><td>${held(step) ? "held" : "<b>not held</b>"}</td></tr>`))
    .join("");
  return `<h2>Ramp</h2><table><tr><th>side</th><th>rate</th><th>sent at</th><th>lost</th><th>p50 ms</th><th>p99 ms</th><th></th></tr>${rows}</table>`;
}

export function formatHtml(r: FleetRunResult): string {
  const series = [];
  if (r.floor?.main) {
    series.push({ name: "floor p50", color: "#aaa", points: r.floor.main.perSecond, pick: (s: SecondStats) => s.p50 });
    series.push({ name: "floor p99", color: "#555", points: r.floor.main.perSecond, pick: (s: SecondStats) => s.p99 });
  }
  if (r.fleet.main) {
    series.push({ name: "fleet p50", color: "#e59866", points: r.fleet.main.perSecond, pick: (s: SecondStats) => s.p50 });
    series.push({ name: "fleet p99", color: "#c0392b", points: r.fleet.main.perSecond, pick: (s: SecondStats) => s.p99 });
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>payterm fleet run ${r.runId}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:900px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}pre{white-space:pre-wrap;font-size:12px}</style></head><body>
<h1>payterm fleet run ${r.runId}</h1>
<p>${escape(`${r.options.devices} devices, ${r.options.rate}/s for ${r.options.durationS} s on ${r.broker}. ${r.machine.cpus} CPUs (${r.machine.cpuModel}), load average before ${r.machine.loadBefore.join(" ")}, after ${r.machine.loadAfter.join(" ")}.`)}</p>
${series.length > 0 ? lineChart(series, "Publish to announcement (fleet) and publish to receipt (floor), per second of the main step") : ""}
${rampChart(r)}
<h2>Summary</h2><pre>${escape(formatTable(r))}</pre>
</body></html>
`;
}

export function writeHtml(path: string, r: FleetRunResult): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, formatHtml(r));
}
