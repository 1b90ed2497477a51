/**
 * Compares what the simulator shows with what a scenario expects. Scalars compare as text (event
 * fields carry amounts as "149.00" and counters as numbers; the file may write either), maps match
 * the fields they name and ignore the rest.
 */
import type { Matcher } from "./model";

export type Resolve = (text: string) => string | string[];

function scalarText(value: unknown): string {
  return value === null || value === undefined ? "null" : String(value);
}

export function matches(m: Matcher, actual: unknown, resolve: Resolve): boolean {
  switch (m.op) {
    case "equals": {
      if (m.value === null) return actual === null || actual === undefined;
      const expected = typeof m.value === "string" ? resolve(m.value) : scalarText(m.value);
      return Array.isArray(expected) ? expected.includes(scalarText(actual)) : scalarText(actual) === expected;
    }
    case "contains": {
      const needle = resolve(m.value);
      return typeof actual === "string" && (Array.isArray(needle) ? needle.some((n) => actual.includes(n)) : actual.includes(needle));
    }
    case "matches":
      return actual !== undefined && m.value.test(scalarText(actual));
    case "min":
      return typeof actual === "number" && actual >= m.value;
    case "max":
      return typeof actual === "number" && actual <= m.value;
    case "not":
      return !matches(m.value, actual, resolve);
    case "fields":
      if (typeof actual !== "object" || actual === null) return false;
      return Object.entries(m.value).every(([name, field]) => matches(field, (actual as Record<string, unknown>)[name], resolve));
  }
}

export function describeMatcher(m: Matcher): string {
  switch (m.op) {
    case "equals":
      return JSON.stringify(m.value);
    case "contains":
      return `containing ${JSON.stringify(m.value)}`;
    case "matches":
      return `matching /${m.value.source}/`;
    case "min":
      return `>= ${m.value}`;
    case "max":
      return `<= ${m.value}`;
    case "not":
      return `not ${describeMatcher(m.value)}`;
    case "fields":
      return `{ ${Object.entries(m.value).map(([name, field]) => `${name}: ${describeMatcher(field)}`).join(", ")} }`;
  }
}

/** The parts of `actual` that a fields matcher names, for a failure message. */
export function pick(m: Matcher, actual: unknown): unknown {
  if (m.op !== "fields" || typeof actual !== "object" || actual === null) return actual;
  return Object.fromEntries(Object.entries(m.value).map(([name, field]) => [name, pick(field, (actual as Record<string, unknown>)[name])]));
}
