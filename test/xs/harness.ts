/**
 * Runs check programs on the XS engine (`xsnap`, built by scripts/build-xsnap.mjs).
 *
 * A check program is a TypeScript module bundled with esbuild as the Moddable build would see
 * the sources (one ES module, platform-neutral: no Node built-ins, no browser globals), then run
 * with `xsnap -m`. It reports on stdout, one line each:
 *
 *   ok NAME
 *   not ok NAME: MESSAGE
 *   meter NAME COMPUTRONS
 *   info TEXT
 *   done COUNT          (last line; COUNT = ok + not ok lines)
 *   load-error ERROR    (printed by the loader when the bundle throws while it loads)
 *
 * The run passed only if it exited 0 within the time limit, printed `done` with the right count,
 * printed no `not ok`, and XS reported no unhandled exception or rejection. XS exits 0 even when
 * the top-level module throws (it prints nothing then), so a missing `done` is how an
 * XS-incompatible module (one that touches `setTimeout`, `require`, `process`...) shows up.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { readFile } from "node:fs/promises";
import { build, transform, type Plugin } from "esbuild";
import { BUILD_SCRIPT, REPO_ROOT, xsnapBinaryPath } from "./xsnap-path";

export interface CheckRun {
  /** True when everything listed under the module comment holds. */
  passed: boolean;
  /** Why it did not pass, one reason a line; empty when it passed. */
  problems: string[];
  ok: string[];
  notOk: { name: string; message: string }[];
  meters: Map<string, number>;
  info: string[];
  done: number | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Aborts XS past this many computrons (`xsnap -l`). */
  meterLimit?: number;
}

/** Builds xsnap if it is missing (a fresh clone after `npm ci`); returns the binary's path. */
export function ensureXsnap(): string {
  const binary = xsnapBinaryPath();
  if (!existsSync(binary)) {
    const result = spawnSync(process.execPath, [BUILD_SCRIPT], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`building xsnap failed:\n${result.stderr}`);
  }
  return binary;
}

export function xsVersion(): string {
  const result = spawnSync(ensureXsnap(), ["-v"], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`xsnap -v failed: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * XS 13.3 (the engine in @agoric/xsnap 0.15) throws "ReferenceError: get ?: not initialized yet"
 * when a static field initializer constructs its own class and that class declares instance
 * fields (`class P { static B = new P(); x; }`), which @noble/curves does. Dependencies get their
 * static fields lowered to assignments after the class; our own sources are bundled as written,
 * so firmware that used the pattern would fail here as it would on that engine.
 */
const lowerDependencyStaticFields: Plugin = {
  name: "lower-dependency-static-fields",
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]node_modules[\\/].*\.m?js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const result = await transform(source, { loader: "js", supported: { "class-static-field": false }, sourcefile: args.path });
      return { contents: result.code, loader: "js" };
    });
  },
};

/** Bundles `entry` (a path from the repository root) into one ES module; returns its path. */
export async function bundleCheck(entry: string, outDir: string, extension: ".js" | ".mjs" = ".js"): Promise<string> {
  const outfile = join(outDir, `${entry.replace(/[^A-Za-z0-9]+/g, "_")}${extension}`);
  await build({
    entryPoints: [join(REPO_ROOT, entry)],
    outfile,
    bundle: true,
    platform: "neutral",
    format: "esm",
    mainFields: ["module", "main"],
    conditions: ["import", "default"],
    target: "es2022",
    logLevel: "silent",
    absWorkingDir: REPO_ROOT,
    plugins: [lowerDependencyStaticFields],
  });
  return outfile;
}

/**
 * A loader next to the bundle that imports it dynamically, so an exception while the module
 * loads (which XS would swallow) is reported as a `load-error` line.
 */
function writeLoader(bundle: string): string {
  const loader = join(dirname(bundle), `load-${basename(bundle)}`);
  const source = String.raw`const say = globalThis.print ?? ((line) => console.log(line));
import(MODULE).catch((error) => say("load-error " + (String(error) + " " + String(error?.stack ?? "")).replace(/\s*\n\s*/g, " | ")));
`;
  writeFileSync(loader, source.replace("MODULE", JSON.stringify(`./${basename(bundle)}`)));
  return loader;
}

/** Runs a command whose stdout speaks the line protocol, and judges the run. */
export function runProtocol(command: string, args: string[], options: RunOptions = {}): Promise<CheckRun> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      resolve(judge({ stdout, stderr, exitCode, signal, timedOut }));
    });
  });
}

/** Bundles a check program and runs it on XS. */
export async function runCheckOnXs(entry: string, options: RunOptions = {}): Promise<CheckRun> {
  const binary = ensureXsnap();
  const dir = mkdtempSync(join(tmpdir(), "payterm-xs-"));
  try {
    const loader = writeLoader(await bundleCheck(entry, dir));
    const args = options.meterLimit === undefined ? ["-m", loader] : ["-l", String(options.meterLimit), "-m", loader];
    return await runProtocol(binary, args, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bundles the same check program and runs it on Node, to show the code is engine-neutral. */
export async function runCheckOnNode(entry: string, options: RunOptions = {}): Promise<CheckRun> {
  const dir = mkdtempSync(join(tmpdir(), "payterm-node-"));
  try {
    const loader = writeLoader(await bundleCheck(entry, dir, ".mjs"));
    return await runProtocol(process.execPath, [loader], options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const UNHANDLED = /unhandled (exception|rejection)|too much computation/i;

function judge(raw: Pick<CheckRun, "stdout" | "stderr" | "exitCode" | "signal" | "timedOut">): CheckRun {
  const run: CheckRun = { ...raw, passed: false, problems: [], ok: [], notOk: [], meters: new Map(), info: [], done: undefined };
  const lines = raw.stdout.split("\n").filter((line) => line.length > 0);
  for (const line of lines) {
    let match: RegExpMatchArray | null;
    if (run.done !== undefined) run.problems.push(`output after done: ${line}`);
    if ((match = line.match(/^ok (.+)$/))) run.ok.push(match[1]);
    else if ((match = line.match(/^not ok (.+?): ([\s\S]*)$/))) run.notOk.push({ name: match[1], message: match[2] });
    else if ((match = line.match(/^meter (\S+) (\d+)$/))) run.meters.set(match[1], Number(match[2]));
    else if ((match = line.match(/^info (.*)$/))) run.info.push(match[1]);
    else if ((match = line.match(/^done (\d+)$/))) run.done = Number(match[1]);
    else if ((match = line.match(/^load-error (.*)$/))) run.problems.push(`the module failed to load: ${match[1]}`);
    else if (UNHANDLED.test(line)) run.problems.push(`XS: ${line}`);
    // Anything else (an echoed log line) is allowed.
  }
  if (raw.timedOut) run.problems.push("timed out");
  if (raw.signal) run.problems.push(`killed by ${raw.signal}`);
  if (raw.exitCode !== 0 && raw.exitCode !== null) run.problems.push(`exit code ${raw.exitCode}`);
  for (const line of raw.stderr.split("\n")) if (UNHANDLED.test(line)) run.problems.push(`XS: ${line.trim()}`);
  for (const failure of run.notOk) run.problems.push(`not ok ${failure.name}: ${failure.message}`);
  if (run.done === undefined) run.problems.push("no `done` line: the program stopped early (an exception at load or in a callback?)");
  else if (run.done !== run.ok.length + run.notOk.length) run.problems.push(`done says ${run.done} checks, saw ${run.ok.length + run.notOk.length}`);
  else if (run.done === 0) run.problems.push("no checks ran");
  run.passed = run.problems.length === 0;
  return run;
}

/** One readable paragraph for a failed expectation. */
export function describeRun(run: CheckRun): string {
  return [...run.problems, "--- stdout", run.stdout.trim(), "--- stderr", run.stderr.trim()].join("\n");
}
