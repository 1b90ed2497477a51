/**
 * Fleet mode, small: 50 virtual soundboxes on the real firmware and the payment service, a few
 * seconds of payments, beside the bare mqtt.js floor in the same run. Every confirmation sent is
 * announced exactly once, nothing lost; the report prints, the chart is written. Once on the
 * embedded aedes with the devices in a worker thread, once on a mosquitto given by URL (a broker
 * that outlives the run) with the devices in the main thread, after which the fleet must have left
 * no sessions or retained status behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { formatJson, formatTable, writeHtml } from "../../host-sim/fleet/report";
import { runFleet, type FleetRunOptions } from "../../host-sim/fleet/run";
import { Mosquitto } from "../support/mosquitto";

const options = (broker: FleetRunOptions["broker"], progress: string[]): FleetRunOptions => ({
  broker,
  devices: 50,
  rate: 40,
  durationS: 3,
  drainS: 15,
  floor: true,
  ramp: undefined,
  concurrency: 25,
  workers: 1,
  warmupS: 1,
  progress: (line) => progress.push(line),
});

describe("fleet mode", () => {
  let dir: string;
  let mosquitto: Mosquitto;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "payterm-fleet-"));
    mosquitto = await Mosquitto.start();
  });

  afterAll(async () => {
    await mosquitto.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("50 devices on the embedded aedes: every confirmation announced once, none lost, report and chart", async () => {
    const progress: string[] = [];
    const result = await runFleet(options({ kind: "aedes" }, progress));
    const fleet = result.fleet.main!;
    expect(fleet).toMatchObject({ sent: 120, delivered: 120, lost: 0, duplicates: 0 });
    expect(result.fleet.deviceCounts).toMatchObject({ rejected: 0, sendErrors: 0 });
    expect(result.fleet.deviceCounts.acks).toBeGreaterThanOrEqual(120);
    expect(result.floor?.main).toMatchObject({ sent: 120, delivered: 120, lost: 0, duplicates: 0 });
    // The warm-up ran on both sides at the main rate, apart from the measured step.
    expect(result.fleet.warmup).toMatchObject({ sent: 40, delivered: 40, lost: 0, duplicates: 0 });
    expect(result.floor?.warmup).toMatchObject({ sent: 40, delivered: 40, lost: 0 });
    expect(fleet.latency.n).toBe(120);
    expect(fleet.latency.p99).toBeGreaterThan(0);
    expect(progress.some((line) => /^fleet t=\d+s rate 40\/s sent \d+ delivered/.test(line))).toBe(true);

    const table = formatTable(result);
    expect(table).toMatch(/\| virtual soundboxes \| 50 \| .* \| 120 \| 120 \| 0 \| 0 \|/);
    expect(table).toMatch(/\| bare mqtt\.js \(floor\) \| 50 \|/);
    expect(table).toMatch(/^fleet warm-up \(not measured\): 40\/s for 1 s, 40 sent, 0 lost/m);
    // Read from /proc/stat over each step: a number here, on Linux.
    expect(table).toMatch(/^CPU stolen by the hypervisor over the main step: floor \d+(\.\d)?%, fleet \d+(\.\d)?%/m);
    expect(JSON.parse(formatJson(result))).toMatchObject({ fleet: { main: { lost: 0 } }, floor: { main: { lost: 0 } } });
    const html = join(dir, "chart.html");
    writeHtml(html, result);
    expect(readFileSync(html, "utf8")).toMatch(/<svg[^>]*>.*fleet p99/s);
  }, 120_000);

  it("on a broker given by URL, and it leaves no sessions or retained status behind", async () => {
    const progress: string[] = [];
    // The devices in this thread this time (workers: 0), the other way the fleet runs them.
    const result = await runFleet({ ...options({ kind: "url", url: mosquitto.url }, progress), floor: false, workers: 0 });
    expect(result.fleet.main).toMatchObject({ sent: 120, delivered: 120, lost: 0, duplicates: 0 });
    expect(result.floor).toBeUndefined();
    expect(progress).toContain("fleet: removed the sessions and retained status of 50 devices from the broker");
    // Anything retained under the fleet's ids would arrive right after subscribing.
    const probe = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
    const retained: string[] = [];
    probe.on("message", (topic) => {
      if (topic.startsWith(`pt/v1/fleet-${result.runId}-`)) retained.push(topic);
    });
    await probe.subscribeAsync("pt/v1/+/status", { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    await probe.endAsync();
    expect(retained).toEqual([]);
    expect(existsSync(dir)).toBe(true);
  }, 120_000);
});
