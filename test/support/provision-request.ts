/**
 * What the provisioning unit suites share: a scratch directory per suite with a new output folder
 * per case, and a request with the fixed batch settings every case starts from.
 */
import { afterAll, beforeAll } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentProgress } from "../../host-sim/provision/progress";
import type { ProvisionRequest } from "../../host-sim/provision/provision";

export const PARTITIONS = join(import.meta.dirname, "..", "..", "hal", "moddable", "partitions.csv");

export interface Scratch {
  /** A new output folder's path for each call. */
  freshOut(): string;
  /** A path in the scratch directory. */
  file(name: string): string;
}

/** Registers the suite's scratch directory; call at the top level of a test file. */
export function provisionScratch(prefix: string): Scratch {
  let dir: string;
  let outs = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return { freshOut: () => join(dir, `out-${++outs}`), file: (name) => join(dir, name) };
}

export function provisionRequest(out: string, overrides: Partial<ProvisionRequest> = {}): ProvisionRequest {
  return {
    out,
    brokerUrl: "mqtt://broker.example.com:1883",
    rotate: false,
    partitionTable: { text: readFileSync(PARTITIONS, "utf8"), source: PARTITIONS },
    chip: "esp32",
    baud: 921600,
    keepalive: 60,
    certificateDays: 3650,
    now: new Date("2026-01-15T10:00:00Z"),
    progress: silentProgress,
    ...overrides,
  };
}

export function merchantsCsv(text: string): ProvisionRequest["merchants"] {
  return { source: "merchants.csv", text };
}
