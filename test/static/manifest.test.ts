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
import { DEFAULT_SLOT_BYTES, DEFAULT_VOICE_BYTES } from "../../host-sim/hal/update-slots";
import { parsePartitionTable } from "../../host-sim/provision/partition-table";

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
  "flash",
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

interface Creation {
  main?: string;
  static?: number;
  chunk?: { initial: number; incremental: number };
  heap?: { initial: number; incremental: number };
  stack?: number;
}

interface Platform {
  modules?: Record<string, string | string[]>;
  include?: string | string[];
  preload?: string | string[];
  creation?: Creation;
  resources?: Record<string, string | string[]>;
  config?: Record<string, unknown>;
  defines?: Record<string, unknown>;
}

interface Manifest extends Platform {
  build?: Record<string, string>;
  platforms?: Record<string, Platform>;
}

const BOARDS = ["payterm_soundbox", "payterm_qr"];
/** The desktop simulator's platforms: the host's, not "sim". */
const SIMULATORS = ["lin", "mac"];

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

/** The modules each project module imports, by the names mcconfig gives them. */
function importGraph(modules: Map<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [name, file] of modules) {
    const imports = importSpecifiers(readFileSync(join(ROOT, file), "utf8")).map((specifier) =>
      specifier.startsWith(".") ? resolveRelative(name, specifier) : specifier,
    );
    graph.set(name, imports);
  }
  return graph;
}

/** The modules that import `target`, directly or through other modules. */
function importersOf(target: string, graph: Map<string, string[]>): Set<string> {
  const found = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [name, imports] of graph) {
      if (!found.has(name) && imports.some((imported) => imported === target || found.has(imported))) {
        found.add(name);
        grew = true;
      }
    }
  }
  return found;
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
    for (const platform of SIMULATORS) {
      const modules = projectModules(manifest.platforms?.[platform]?.modules);
      for (const specifier of ["embedded:io/digital", "embedded:io/analog", "embedded:io/i2c", "embedded:update", "embedded:storage/flash", "flash"]) {
        expect([platform, modules.get(specifier)]).toEqual([platform, expect.stringMatching(/^hal\/moddable\/sim\//)]);
      }
    }
  });

  it("has a product board for each product, with a target directory mcconfig can use", () => {
    for (const board of BOARDS) {
      expect(manifest.platforms?.[`esp32/${board}`]).toBeDefined();
      const target = JSON.parse(readFileSync(join(ROOT, "hal/moddable/targets", board, "manifest.json"), "utf8")) as Manifest;
      expect(target.build?.SUBPLATFORM).toBe(board);
      expect(existsSync(join(ROOT, "hal/moddable/targets", board, "host/provider.ts"))).toBe(true);
    }
  });

  it("preloads modules by name: mcconfig matches a wildcard preload against JavaScript modules only", () => {
    // tools/mcconfig.js filterPreload (SDK 8.2.3): "firmware/*" preloaded none of the .ts modules,
    // so all of them were loaded into RAM at boot: 17,600 slots, where a board has 4,928.
    const entries = [...list(manifest.preload), ...Object.values(manifest.platforms ?? {}).flatMap((platform) => list(platform.preload))];
    expect(entries.filter((entry) => entry.includes("*"))).toEqual([]);
    const known = new Set([...base.keys(), ...Object.values(manifest.platforms ?? {}).flatMap((platform) => Object.keys(platform.modules ?? {}))]);
    expect(entries.filter((entry) => !known.has(entry))).toEqual([]);
  });

  it("preloads every device module, and those that import preference on the boards only", () => {
    // On lin, preference is a JavaScript module that reads its file when it loads: preloaded,
    // it would read it at build time, and the simulator would boot without its identity.
    const device = [...base.keys()].filter((name) => name.startsWith("firmware/") || name.startsWith("hal/"));
    const onBoardsOnly = importersOf("preference", importGraph(base));
    expect([...onBoardsOnly].sort()).toEqual(["hal/moddable/kv", "hal/moddable/main"]);
    expect(new Set(list(manifest.preload))).toEqual(new Set(device.filter((name) => !onBoardsOnly.has(name))));
    for (const board of BOARDS) expect([board, new Set(list(manifest.platforms?.[`esp32/${board}`]?.preload))]).toEqual([board, onBoardsOnly]);
    for (const simulator of SIMULATORS) expect(list(manifest.platforms?.[simulator]?.preload).filter((name) => onBoardsOnly.has(name))).toEqual([]);
  });

  it("gives the desktop simulator a board's fixed heap and stack, so it runs out where a board would", () => {
    const creations = BOARDS.map((board) => (JSON.parse(readFileSync(join(ROOT, "hal/moddable/targets", board, "manifest.json"), "utf8")) as Manifest).creation);
    expect(creations[1]).toEqual(creations[0]);
    const { chunk, heap, stack } = creations[0] as Creation;
    expect(heap?.incremental).toBe(0);
    // Slot counts are the same on every host; chunks hold slot arrays, which take twice the bytes
    // on a 64-bit simulator (32-byte slots, 16 on the ESP32).
    const chunk64 = { initial: 2 * (chunk?.initial as number), incremental: 0 };
    for (const simulator of SIMULATORS)
      expect([simulator, manifest.platforms?.[simulator]?.creation]).toEqual([simulator, expect.objectContaining({ chunk: chunk64, heap, stack })]);
  });

  it("carries the voice clips in the soundbox and the simulators, not in the QR display", () => {
    expect(manifest.resources).toBeUndefined();
    for (const platform of ["esp32/payterm_soundbox", ...SIMULATORS]) expect([platform, manifest.platforms?.[platform]?.resources]).toEqual([platform, { "*": "$(VOICE_PACKS)/$(VOICE_LANGUAGE)/*" }]);
    expect(manifest.platforms?.["esp32/payterm_qr"]?.resources).toBeUndefined();
  });

  it("type-checks the simulator's stand-ins as mcconfig does on lin (tsconfig.device-sim.json)", () => {
    // mcconfig maps each module to its file (compilerOptions.paths); TypeScript would prefer an
    // ambient `declare module` of the same name, so those declarations are left out.
    const config = JSON.parse(readFileSync(join(ROOT, "tsconfig.device-sim.json"), "utf8")) as { compilerOptions: { paths: Record<string, string[]> }; exclude: string[] };
    const standIns = projectModules(manifest.platforms?.lin?.modules);
    expect(config.compilerOptions.paths).toEqual(Object.fromEntries([...standIns].map(([name, file]) => [name, [`./${file}`]])));
    const declaring = [join(ROOT, "node_modules/@moddable/typings"), join(ROOT, "hal/moddable")]
      .flatMap((dir) => walk(dir))
      .filter((file) => file.endsWith(".d.ts"))
      .filter((file) => [...standIns.keys()].some((name) => readFileSync(file, "utf8").includes(`declare module "${name}"`)))
      .map(rel);
    expect(declaring.length).toBeGreaterThan(0);
    expect([...config.exclude].sort()).toEqual(declaring.sort());
  });
});

/**
 * mcconfig's `defines.ota.autosplit` (tools/mcmanifest.js, Moddable SDK 8.2.3) as the build does
 * it: the factory app partition becomes ota_0 at its offset, sized half of what is left after
 * 0x2000 of otadata rounded down to 64 KB, ota_1 with the rest, then otadata; offsets after the
 * first are left for ESP-IDF to place. Every other line stays as written.
 */
function autosplit(csv: string): string {
  return csv
    .split("\n")
    .map((line) => {
      const fields = line.replace(/#.*/, "").split(",").map((f) => f.trim());
      if (fields[1] !== "app" || fields[2] !== "factory") return line;
      const size = parseInt(fields[4], 16) - 0x2000;
      const first = Math.floor(size / 2 / 0x10000) * 0x10000;
      return `ota_0, app, ota_0, ${fields[3]}, 0x${first.toString(16)},\nota_1, app, ota_1, , 0x${(size - first).toString(16)},\notadata, data, ota, , 0x2000,`;
    })
    .join("\n");
}

describe("hal/moddable/partitions.csv", () => {
  const manifest = readManifest();
  const table = parsePartitionTable(autosplit(readFileSync(join(ROOT, "hal/moddable/partitions.csv"), "utf8")));
  const named = (name: string) => table.find((p) => p.name === name);

  it("fits 4 MB of flash once mcconfig has split the factory app into the two OTA slots, nothing overlapping", () => {
    // parsePartitionTable places the empty offsets as ESP-IDF does and refuses overlaps and misalignment.
    expect(table.map((p) => p.name)).toEqual(["nvs", "phy_init", "ota_0", "ota_1", "otadata", "voice0", "voice1"]);
    const end = Math.max(...table.map((p) => p.offset + p.size));
    expect(end).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(named("voice0")?.offset).toBe((named("otadata")?.offset ?? 0) + 0x2000);
  });

  it("has both boards split the factory app (defines.ota.autosplit)", () => {
    for (const board of ["esp32/payterm_soundbox", "esp32/payterm_qr"]) expect(manifest.platforms?.[board]?.defines?.ota).toEqual({ autosplit: 1 });
  });

  it("gives the soundbox the voice-pack partitions its config names, each the simulator's voice area size", () => {
    const updates = manifest.platforms?.["esp32/payterm_soundbox"]?.config?.updates as { voicePartitions?: string[] };
    expect(updates.voicePartitions).toEqual(["voice0", "voice1"]);
    for (const label of updates.voicePartitions ?? []) {
      expect(named(label)).toMatchObject({ type: "data", size: DEFAULT_VOICE_BYTES });
      expect((named(label)?.offset ?? 1) % 0x1000).toBe(0);
    }
  });

  it("has firmware slots at least the simulator's slot size, so an image the simulator takes fits both", () => {
    expect(Math.min(named("ota_0")?.size ?? 0, named("ota_1")?.size ?? 0)).toBe(DEFAULT_SLOT_BYTES);
  });
});
