/**
 * Every scenario in scenarios/ holds, run in-process on the embedded broker; a scenario whose
 * expectation does not hold fails at that step; and `payterm run` exits 0, 1 or 2 accordingly.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../support/cli";
import { projectRoot } from "../../host-sim/paths";
import { loadScenario, parseScenario } from "../../host-sim/scenario/parse";
import { summary } from "../../host-sim/scenario/report";
import { runScenario } from "../../host-sim/scenario/runner";

const SCENARIOS = join(projectRoot, "scenarios");
const files = readdirSync(SCENARIOS).filter((name) => /\.(ya?ml|json)$/.test(name)).sort();

describe("scenarios/", () => {
  it("has the scenarios the simulator is demonstrated with", () => {
    expect(files).toEqual(expect.arrayContaining(["normal-day.yaml", "burst.yaml", "outage.yaml", "forged.yaml", "expired-charge.yaml", "nfc.yaml"]));
  });

  it.each(files)("%s holds", async (file) => {
    const result = await runScenario(loadScenario(join(SCENARIOS, file)));
    // The whole report on failure: the step, its line, what was seen, the recent events.
    expect(result.passed ? "passed" : summary(result).join("\n")).toBe("passed");
  }, 60_000);
});

describe("a scenario that does not hold", () => {
  it("fails at the first expectation that does not hold, with its line and what was seen", async () => {
    const scenario = parseScenario(
      [
        "name: one payment, announced twice?",
        "steps:",
        "  - pay: { device: soundbox-1, amount: \"5.00\", as: once }",
        "  - expect: { event: announced, device: soundbox-1, txn: $once }",
        "  - expect: { event: announced, device: soundbox-1, txn: $once, count: 2, within: 500ms }",
        "  - note: never reached",
      ].join("\n"),
      "twice.yaml",
    );
    const result = await runScenario(scenario);
    expect(result.passed).toBe(false);
    expect(result.failure).toMatchObject({ number: 3, line: 5 });
    expect(result.failure?.problem).toMatch(/^expected 2 soundbox-1 announced \$once, saw 1 within 500 ms$/);
    expect(result.failure?.recent.some((line) => line.includes("announced"))).toBe(true);
    expect(result.steps.map((s) => s.ok)).toEqual([true, true, false]);
  }, 30_000);

  it("fails a state expectation with the state it saw", async () => {
    const scenario = parseScenario(
      "name: offline?\nsteps:\n  - expect: { device: qr-display-1, state: { session: waiting, link: up }, within: 200ms }\n",
      "offline.yaml",
    );
    const result = await runScenario(scenario);
    expect(result.failure).toMatchObject({ number: 1, line: 3 });
    expect(result.failure?.problem).toBe('qr-display-1 state is {"session":"online","link":"up"}, expected { session: "waiting", link: "up" } within 200 ms');
  }, 30_000);
});

describe("payterm run", () => {
  let dir: string;
  let out: string[];
  let err: string[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "payterm-run-"));
    writeFileSync(join(dir, "ok.yaml"), "name: ok\nsteps:\n  - pay: { device: soundbox-1, amount: 1, as: t }\n  - expect: { delivery: $t, state: announced }\n");
    writeFileSync(join(dir, "fails.json"), JSON.stringify({ name: "fails", steps: [{ expect: { event: "rejected", device: "soundbox-1", within: "100ms" } }] }, null, 2));
    writeFileSync(join(dir, "malformed.yaml"), "name: malformed\nsteps:\n  - pay: { device: soundbox-1, amount: lots }\n");
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(...args: string[]): Promise<number> {
    const result = await runCli("run", ...args);
    out = result.out === "" ? [] : result.out.split("\n");
    err = result.err === "" ? [] : result.err.split("\n");
    return result.code;
  }

  it("exits 0 when every expectation holds, printing each step", async () => {
    expect(await run(join(dir, "ok.yaml"))).toBe(0);
    expect(out.join("\n")).toMatch(/✓\s+2\s+line 4\s+expect delivery=\$t state=announced/);
    expect(out.join("\n")).toContain("✓ passed: ok, 2 steps");
  }, 30_000);

  it("exits 1 with the failing step", async () => {
    expect(await run(join(dir, "fails.json"))).toBe(1);
    expect(err.join("\n")).toContain(`✗ failed: fails, step 1 (${join(dir, "fails.json")}:4)`);
  }, 30_000);

  it("exits 2 on a malformed file, naming the line and field, before running anything", async () => {
    expect(await run(join(dir, "ok.yaml"), join(dir, "malformed.yaml"))).toBe(2);
    expect(err.join("\n")).toContain(`${join(dir, "malformed.yaml")}:3:40: steps[0].pay.amount: must be a plain decimal amount`);
    expect(out).toEqual([]);
  });

  it("exits 2 on a file that does not exist and on no file at all", async () => {
    expect(await run(join(dir, "missing.yaml"))).toBe(2);
    expect(err.join("\n")).toMatch(/missing\.yaml:1:1: cannot read/);
    expect(await run()).toBe(2);
  });

  it("prints results as JSON", async () => {
    expect(await run("--json", join(dir, "ok.yaml"))).toBe(0);
    const [result] = JSON.parse(out.join("\n")) as { name: string; passed: boolean; steps: { line: number; ok: boolean }[] }[];
    expect(result).toMatchObject({ name: "ok", passed: true, steps: [{ line: 3, ok: true }, { line: 4, ok: true }] });
  }, 30_000);
});
