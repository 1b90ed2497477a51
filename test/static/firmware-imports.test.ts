/**
 * firmware/ runs on XS: it may import only other firmware modules and the HAL contract. No Node
 * built-ins, no DOM, no host-sim, no platform HAL (hal/moddable), and none of the globals that
 * exist on Node or in browsers but not on the device.
 */
import { describe, expect, it } from "@jest/globals";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { projectRoot } from "../../host-sim/paths";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;

export function importsOf(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Globals a device does not have; device code gets these services from the HAL. */
const FORBIDDEN_GLOBALS = /(?<![.\w$#])(process|Buffer|require|window|document|navigator|localStorage|fetch|setTimeout|setInterval|clearTimeout|clearInterval|TextEncoder|TextDecoder|crypto)\s*[.(]/;

export function firmwareViolations(file: string, source: string): string[] {
  const problems: string[] = [];
  for (const specifier of importsOf(source)) {
    if (!specifier.startsWith(".")) {
      problems.push(`imports package or built-in "${specifier}"`);
      continue;
    }
    const target = relative(projectRoot, resolve(dirname(file), specifier));
    const allowed = target.startsWith("firmware/") || (target.startsWith("hal/") && !target.includes("/", 4));
    if (!allowed) problems.push(`imports "${specifier}" (${target}), outside firmware/ and the HAL contract`);
  }
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
  const global = FORBIDDEN_GLOBALS.exec(code);
  if (global) problems.push(`uses the global "${global[1]}", which the device does not have`);
  return problems;
}

describe("firmware stays platform-neutral", () => {
  const files = [...sources(join(projectRoot, "firmware")), ...sources(join(projectRoot, "hal")).filter((f) => !f.includes("/hal/moddable/") && !f.includes("/hal/memory/"))];

  it("has firmware sources to check", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files.map((f) => [relative(projectRoot, f), f]))("%s imports only firmware and the HAL contract", (_name, file) => {
    expect(firmwareViolations(file, readFileSync(file, "utf8"))).toEqual([]);
  });

  it("catches the violations it looks for", () => {
    const file = join(projectRoot, "firmware", "example.ts");
    expect(firmwareViolations(file, 'import { readFileSync } from "node:fs";')).toHaveLength(1);
    expect(firmwareViolations(file, 'import { x } from "../host-sim/simulator";')).toHaveLength(1);
    expect(firmwareViolations(file, 'import { y } from "../hal/moddable/kv";')).toHaveLength(1);
    expect(firmwareViolations(file, 'import mqtt from "mqtt";')).toHaveLength(1);
    expect(firmwareViolations(file, "const t = setTimeout(() => 1, 5);")).toHaveLength(1);
    expect(firmwareViolations(file, "const b = Buffer.from([1]);")).toHaveLength(1);
    expect(firmwareViolations(file, "const r = crypto.getRandomValues(a);")).toHaveLength(1);
    expect(firmwareViolations(file, 'export { z } from "./payments/journal";\nimport type { Hal } from "../hal/index";\nhal.crypto.sha256(x);')).toEqual([]);
  });
});
