/**
 * Static checks of the Moddable manifest (documentation/tools/manifest.md in the Moddable SDK):
 * it parses, the module paths it names exist, every device source file is a module of the
 * build, and every import in device code resolves to a manifest module or a known SDK module.
 * These are the mistakes `mcconfig` only reports at build or run time ("module not found").
 */
import { describe, expect, it } from "@jest/globals";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Modules the Moddable SDK provides through the manifests that manifest.json includes. */
const MODDABLE_MODULES = new Set([
  "commodetto/Bitmap",
  "commodetto/PixelsOut",
  "commodetto/Poco",
  "crypt",
  "curve",
  "ecdsa",
  "ecp",
  "embedded:io/analog",
  "embedded:io/digital",
  "embedded:io/i2c",
  "embedded:io/socket/tcp",
  "embedded:io/socket/tcp/tls",
  "embedded:io/socket/udp",
  "embedded:network/dns/resolver/udp",
  "embedded:network/mqtt/client",
  "embedded:storage/flash",
  "embedded:update",
  "hmac",
  "instrumentation",
  "mc/config",
  "net",
  "pins/audioout",
  "preference",
  "qrcode",
  "Resource",
  "rng",
  "time",
  "timer",
  "wifi",
]);

/** Folders of device code: every .ts file under them must be a module of the build. */
const DEVICE_ROOTS = ["firmware", "hal"];

interface Manifest {
  include?: string | string[];
  creation?: { main?: string };
  modules?: Record<string, string | string[]>;
  preload?: string | string[];
  resources?: Record<string, string | string[]>;
  platforms?: Record<string, { modules?: Record<string, string | string[]>; include?: string | string[] }>;
  build?: Record<string, string>;
}

function readManifest(): Manifest {
  return JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8")) as Manifest;
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/** Project-relative posix path of a repository file. */
function rel(path: string): string {
  return relative(ROOT, path).split("\\").join("/");
}

/** Module name -> source file, for the project's own (./) entries, the way mcconfig expands them. */
function projectModules(modules: Record<string, string | string[]> | undefined): Map<string, string> {
  const result = new Map<string, string>();
  for (const [target, sources] of Object.entries(modules ?? {})) {
    for (const source of list(sources)) {
      if (!source.startsWith("./")) continue;
      const starTarget = target.indexOf("*");
      const starSource = source.lastIndexOf("*");
      if (starTarget < 0 || starSource < 0) {
        for (const extension of [".ts", ".js"]) {
          const file = join(ROOT, source + extension);
          if (existsSync(file)) result.set(target, rel(file));
        }
        continue;
      }
      const directory = join(ROOT, posix.dirname(source));
      if (!existsSync(directory)) continue;
      const prefix = posix.basename(source).slice(0, posix.basename(source).indexOf("*"));
      for (const name of readdirSync(directory)) {
        const file = join(directory, name);
        if (!statSync(file).isFile() || !name.startsWith(prefix)) continue;
        if (!/\.(ts|js)$/.test(name) || name.endsWith(".d.ts")) continue;
        const stem = name.replace(/\.(ts|js)$/, "").slice(prefix.length);
        result.set(target.slice(0, starTarget) + stem + target.slice(starTarget + 1), rel(file));
      }
    }
  }
  return result;
}

/** Import and re-export specifiers of a TypeScript source, type-only ones included. */
function importSpecifiers(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']/g;
  for (const match of source.matchAll(pattern)) specifiers.push(match[1]);
  for (const match of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) specifiers.push(match[1]);
  return specifiers;
}

/** What mcconfig names the module a relative specifier points at, from the importing module. */
function resolveRelative(fromModule: string, specifier: string): string {
  return posix.normalize(posix.join(posix.dirname(fromModule), specifier));
}

describe("manifest.json", () => {
  const manifest = readManifest();
  const base = projectModules(manifest.modules);

  it("parses and names a main module that exists", () => {
    expect(typeof manifest).toBe("object");
    expect(manifest.creation?.main).toBeDefined();
    expect(base.has(manifest.creation?.main as string)).toBe(true);
  });

  it("lists only module, platform and include paths that exist", () => {
    const missing: string[] = [];
    const check = (path: string) => {
      if (!path.startsWith("./")) return; // $(MODDABLE)/... and other SDK paths
      const pattern = path.lastIndexOf("*");
      if (pattern >= 0) {
        if (!existsSync(join(ROOT, posix.dirname(path)))) missing.push(path);
      } else if (!["", ".ts", ".js", ".json"].some((extension) => existsSync(join(ROOT, path + extension)))) missing.push(path);
    };
    for (const sources of Object.values(manifest.modules ?? {})) list(sources).forEach(check);
    list(manifest.include).forEach(check);
    for (const platform of Object.values(manifest.platforms ?? {})) {
      for (const sources of Object.values(platform.modules ?? {})) list(sources).forEach(check);
      list(platform.include).forEach(check);
    }
    expect(missing).toEqual([]);
  });

  it("names each module after its path, so extensionless relative imports resolve", () => {
    const misnamed = [...base].filter(([name, file]) => file.replace(/\.(ts|js)$/, "") !== name);
    expect(misnamed).toEqual([]);
  });

  it("builds every device source file (a new firmware folder needs its own entry)", () => {
    const built = new Set(base.values());
    const files = DEVICE_ROOTS.flatMap((folder) => walk(join(ROOT, folder)))
      .map(rel)
      .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
      // The simulator's stand-ins and the board providers are platform modules, checked below.
      .filter((file) => !file.startsWith("hal/moddable/sim/") && !file.startsWith("hal/moddable/targets/"))
      // Host-only HAL implementations are not device code.
      .filter((file) => !file.startsWith("hal/memory/"));
    expect(files.filter((file) => !built.has(file))).toEqual([]);
  });

  it("resolves every import of firmware/ and hal/moddable/ to a manifest module or a known Moddable module", () => {
    const unresolved: string[] = [];
    const moduleOf = new Map([...base].map(([name, file]) => [file, name]));
    for (const [file, moduleName] of moduleOf) {
      if (!file.startsWith("firmware/") && !file.startsWith("hal/")) continue;
      for (const specifier of importSpecifiers(readFileSync(join(ROOT, file), "utf8"))) {
        if (specifier.startsWith(".")) {
          const target = resolveRelative(moduleName, specifier);
          if (!base.has(target)) unresolved.push(`${file}: ${specifier} (module ${target} is not in the manifest)`);
        } else if (!MODDABLE_MODULES.has(specifier) && !base.has(specifier)) {
          unresolved.push(`${file}: ${specifier} (unknown module)`);
        }
      }
    }
    expect(unresolved).toEqual([]);
  });

  it("gives the desktop simulator a stand-in for each ECMA-419 IO module the HAL imports", () => {
    for (const platform of ["lin", "mac"]) {
      const modules = projectModules(manifest.platforms?.[platform]?.modules);
      for (const specifier of ["embedded:io/digital", "embedded:io/analog", "embedded:io/i2c", "embedded:update", "embedded:storage/flash"]) {
        expect([platform, modules.get(specifier)]).toEqual([platform, expect.stringMatching(/^hal\/moddable\/sim\//)]);
      }
    }
  });

  it("has a product board for each product, with a target directory mcconfig can use", () => {
    for (const board of ["payterm_soundbox", "payterm_qr"]) {
      expect(manifest.platforms?.[`esp32/${board}`]).toBeDefined();
      const target = JSON.parse(readFileSync(join(ROOT, "hal/moddable/targets", board, "manifest.json"), "utf8")) as Manifest;
      expect(target.build?.SUBPLATFORM).toBe(board);
      expect(existsSync(join(ROOT, "hal/moddable/targets", board, "host/provider.ts"))).toBe(true);
    }
  });
});
