/**
 * Tiny assertions for check programs that run on XS (and Node), speaking the line protocol that
 * test/xs/harness.ts reads. XS has `print`; Node has `console.log`.
 */
interface XsGlobals {
  print?: (...values: unknown[]) => void;
  resetMeter?: (limit: number, index: number) => number;
}

const xs = globalThis as unknown as XsGlobals;

export const print: (line: string) => void = xs.print ?? ((line) => console.log(line));

let count = 0;

export class AssertionError extends Error {}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `bytes(${Array.from(value, (b) => (b < 16 ? "0" : "") + b.toString(16)).join("")})`;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (value && typeof value === "object") return `{${Object.keys(value).map((k) => `${k}: ${show((value as Record<string, unknown>)[k])}`).join(", ")}}`;
  return String(value);
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

export function fail(message: string): never {
  throw new AssertionError(message);
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

export function equal(actual: unknown, expected: unknown, what = "value"): void {
  if (!same(actual, expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Runs `fn`, expects it to throw something whose message contains `text` (and is a `type`). */
export function throws(fn: () => unknown, text: string, type?: abstract new (...args: never[]) => Error): void {
  try {
    fn();
  } catch (error) {
    if (type && !(error instanceof type)) fail(`expected a ${type.name}, got ${show(error)}`);
    const message = error instanceof Error ? error.message : String(error);
    if (!message.includes(text)) fail(`expected an error containing ${show(text)}, got ${show(message)}`);
    return;
  }
  fail(`expected an error containing ${show(text)}, nothing was thrown`);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " | ");
}

/** Runs one named check; an exception of any kind is a `not ok` line, never a crash. */
export function check(name: string, fn: () => void): void {
  count++;
  try {
    fn();
    print(`ok ${name}`);
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    print(`not ok ${name}: ${oneLine(message)}`);
  }
}

export function info(text: string): void {
  print(`info ${oneLine(text)}`);
}

/** Computrons spent by `fn` (XS's deterministic instruction meter). */
export function meter(name: string, fn: () => void): number {
  const reset = xs.resetMeter;
  if (!reset) throw new Error("resetMeter is an XS global; this check runs on XS only");
  reset(0, 0);
  fn();
  const spent = reset(0, 0);
  print(`meter ${name} ${spent}`);
  return spent;
}

/** The last line of every check program. */
export function done(): void {
  print(`done ${count}`);
}

export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
