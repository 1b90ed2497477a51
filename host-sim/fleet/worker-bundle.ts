/**
 * The device worker as one plain ES module, built with esbuild when a fleet first starts one.
 *
 * Under tsx every function goes through esbuild's keepNames helper, which redefines its `name`
 * and so gives each closure a property dictionary of its own: about 6 KB per virtual soundbox,
 * and 10,000 of them make a heap the garbage collector marks for hundreds of milliseconds at a
 * time. The bundle keeps names as JavaScript gives them and needs no loader in the worker.
 * mqtt.js is bundled too, with the `debug` package replaced by silent-debug.cts. The file is named
 * by its content, so processes running at once (test workers) share one file safely.
 */
import { buildSync } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { projectRoot } from "../paths";

let built: URL | undefined;

export function deviceWorkerBundle(): URL {
  if (built) return built;
  const result = buildSync({
    entryPoints: [join(projectRoot, "host-sim", "fleet", "device-worker.ts")],
    write: false,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    keepNames: false,
    alias: { debug: join(projectRoot, "host-sim", "fleet", "silent-debug.cts") },
    // The CommonJS packages inside (mqtt.js and its dependencies) call require for Node's modules.
    banner: { js: 'import { createRequire as payTermCreateRequire } from "node:module"; const require = payTermCreateRequire(import.meta.url);' },
    logLevel: "error",
  });
  const code = result.outputFiles[0].contents;
  const dir = join(projectRoot, "build", "fleet");
  const file = join(dir, `device-worker.${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, code);
    renameSync(partial, file);
  }
  built = pathToFileURL(file);
  return built;
}
