import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadScenario, ScenarioSyntaxError } from "../scenario/parse";
import type { Scenario } from "../scenario/model";
import { asJson, stepLine, summary } from "../scenario/report";
import { runScenario, type ScenarioResult } from "../scenario/runner";
import { parseWithPositionals, UsageError } from "./args";
import type { Command } from "./command";

const SCENARIO_FILE = /\.(ya?ml|json)$/;

/** The files named, with each directory standing for the scenario files in it. */
function scenarioFiles(paths: string[]): string[] {
  return paths.flatMap((path) => {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      // A missing file is reported by the parser with its name.
    }
    if (!isDirectory) return [path];
    const files = readdirSync(path).filter((name) => SCENARIO_FILE.test(name)).sort().map((name) => join(path, name));
    if (files.length === 0) throw new UsageError(`${path} holds no .yaml, .yml or .json scenario files`);
    return files;
  });
}

export const runCommand: Command = {
  name: "run",
  usage: ["payterm run SCENARIO.yaml|DIR... [--broker URL] [--json]   (exit 0 all held, 1 a step failed, 2 a file is malformed)"],
  async run(args) {
    const { values: o, positionals } = parseWithPositionals(args, { broker: { type: "string" }, json: { type: "boolean", default: false } });
    if (positionals.length === 0) throw new UsageError("name at least one scenario file or directory");
    // Every file is checked before anything runs: a typo in the fifth file should not wait for the first four.
    const scenarios: Scenario[] = [];
    const malformed: string[] = [];
    for (const file of scenarioFiles(positionals)) {
      try {
        scenarios.push(loadScenario(file));
      } catch (error) {
        if (!(error instanceof ScenarioSyntaxError)) throw error;
        malformed.push(error.message);
      }
    }
    if (malformed.length > 0) {
      for (const line of malformed) console.error(`payterm run: ${line}`);
      return 2;
    }
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      if (!o.json) console.log(`▶ ${scenario.name}  (${scenario.file})`);
      const result = await runScenario(scenario, { brokerUrl: o.broker, onStep: o.json ? undefined : (step) => console.log(stepLine(step)) });
      results.push(result);
      if (!o.json) for (const line of summary(result)) (result.passed ? console.log : console.error)(line);
    }
    if (o.json) console.log(JSON.stringify(results.map(asJson), null, 2));
    else if (results.length > 1) console.log(`scenarios: ${results.filter((r) => r.passed).length} passed, ${results.filter((r) => !r.passed).length} failed`);
    return results.every((r) => r.passed) ? 0 : 1;
  },
};
