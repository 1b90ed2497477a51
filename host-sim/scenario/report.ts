/** Scenario results as people read them (one line per step, the failure in full) and as JSON. */
import type { ScenarioResult, StepResult } from "./runner";

export function stepLine(r: StepResult): string {
  const mark = r.ok ? "✓" : "✗";
  const line = `${mark} ${String(r.number).padStart(3)}  line ${String(r.step.at.line).padEnd(4)} ${r.step.label}`;
  return `  ${line.length > 96 ? `${line.slice(0, 95)}…` : line.padEnd(96)} ${String(r.ms).padStart(6)} ms`;
}

export function summary(result: ScenarioResult): string[] {
  const { scenario, failure } = result;
  const seconds = (result.ms / 1000).toFixed(1);
  if (!failure) return [`✓ passed: ${scenario.name}, ${result.steps.length} steps in ${seconds} s`];
  const where = failure.line === undefined ? scenario.file : `${scenario.file}:${failure.line}`;
  return [
    `✗ failed: ${scenario.name}, ${failure.number === undefined ? "before the first step" : `step ${failure.number}`} (${where}) after ${seconds} s`,
    `    ${failure.problem}`,
    ...(failure.recent.length ? ["    recent events:", ...failure.recent.map((line) => `      ${line}`)] : []),
  ];
}

export function asJson(result: ScenarioResult): unknown {
  return {
    file: result.scenario.file,
    name: result.scenario.name,
    passed: result.passed,
    ms: result.ms,
    steps: result.steps.map((s) => ({ number: s.number, line: s.step.at.line, step: s.step.label, ok: s.ok, ms: s.ms, ...(s.problem && { problem: s.problem }) })),
    ...(result.failure && { failure: result.failure }),
  };
}
