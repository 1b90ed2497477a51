#!/usr/bin/env node
/**
 * Builds the `xsnap` command line (the XS engine that runs our firmware bundles in tests) from
 * the sources that ship in the `@agoric/xsnap` npm package. npm never runs that package's own
 * install script here (package.json `allowScripts`), and the script would build only
 * `xsnap-worker` anyway.
 *
 *   node scripts/build-xsnap.mjs          build if needed, print the binary's path and XS version
 *   node scripts/build-xsnap.mjs --force  rebuild
 *
 * The build is skipped when the binary exists and is newer than the package's package.json (a
 * new package version, or a fresh `npm ci`, means new sources). make itself is incremental too.
 * Importable: `xsnapBinaryPath()` and `ensureXsnap()`; test/xs/xsnap-path.ts finds the same path.
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync, utimesSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, platform } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const MAKEFILE_DIRS = { linux: "lin", darwin: "mac" };

class BuildError extends Error {}

/** The installed @agoric/xsnap package directory. */
export function xsnapPackageDir() {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve("@agoric/xsnap/package.json"));
  } catch {
    throw new BuildError("@agoric/xsnap is not installed: run `npm ci` first (it is a devDependency).");
  }
}

function platformDir() {
  const dir = MAKEFILE_DIRS[platform()];
  if (!dir) throw new BuildError(`building xsnap on ${platform()} is not supported (Linux or macOS only)`);
  return dir;
}

/** Where the release `xsnap` binary is (or will be once built). */
export function xsnapBinaryPath() {
  return join(xsnapPackageDir(), "moddable", "build", "bin", platformDir(), "release", "xsnap");
}

function isFresh(binary, packageJson) {
  if (!existsSync(binary)) return false;
  return statSync(binary).mtimeMs > statSync(packageJson).mtimeMs;
}

function requireTool(command, args, hint) {
  const result = spawnSync(command, args, { stdio: "ignore" });
  if (result.error) throw new BuildError(`\`${command}\` is needed to build xsnap and was not found (${result.error.message}). ${hint}`);
}

/** The version line `xsnap -v` prints, e.g. "XS 13.3.0". */
export function xsVersion(binary = xsnapBinaryPath()) {
  const result = spawnSync(binary, ["-v"], { encoding: "utf8" });
  if (result.error || result.status !== 0)
    throw new BuildError(`${binary} -v failed: ${result.error?.message ?? (result.stderr.trim() || `exit ${result.status}`)}`);
  return result.stdout.trim();
}

/** Builds when needed; returns { binary, version, built }. */
export function ensureXsnap({ force = false, quiet = false } = {}) {
  const pkgDir = xsnapPackageDir();
  const binary = xsnapBinaryPath();
  const packageJson = join(pkgDir, "package.json");
  if (!force && isFresh(binary, packageJson)) return { binary, version: xsVersion(binary), built: false };

  const hint = "On Debian/Ubuntu: apt-get install -y build-essential";
  requireTool("make", ["--version"], hint);
  requireTool(process.env.CC || "cc", ["--version"], hint);

  const makefiles = join(pkgDir, "xsnap-native", "xsnap", "makefiles", platformDir());
  if (!existsSync(join(makefiles, "xsnap.mk"))) throw new BuildError(`no xsnap.mk in ${makefiles}: is @agoric/xsnap complete?`);
  const args = ["-f", "xsnap.mk", `MODDABLE=${join(pkgDir, "moddable")}`, "GOAL=release", `-j${availableParallelism()}`];
  if (force) args.push("-B");
  if (!quiet) process.stderr.write(`building xsnap: make ${args.join(" ")} (in ${makefiles})\n`);
  const started = Date.now();
  const result = spawnSync("make", args, { cwd: makefiles, stdio: ["ignore", quiet ? "pipe" : "inherit", "inherit"] });
  if (result.error || result.status !== 0)
    throw new BuildError(`make failed (${result.error?.message ?? `exit ${result.status}`}); see the compiler output above`);
  if (!existsSync(binary)) throw new BuildError(`make succeeded but ${binary} is missing`);
  // make leaves the binary untouched when nothing changed; touch it so the freshness check holds.
  if (statSync(binary).mtimeMs <= statSync(packageJson).mtimeMs) utimesSync(binary, new Date(), new Date());
  if (!quiet) process.stderr.write(`built xsnap in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return { binary, version: xsVersion(binary), built: true };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const { binary, version } = ensureXsnap({ force: process.argv.includes("--force") });
    process.stdout.write(`xsnap: ${binary}\n${version}\n`);
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    process.stderr.write(`build-xsnap: ${error.message}\n`);
    process.exit(1);
  }
}
