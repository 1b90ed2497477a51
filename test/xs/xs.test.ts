/**
 * The firmware and the in-memory HAL on the XS engine, the engine the device runs. Each check
 * program in test/xs/checks is bundled as Moddable would see the sources and run by `xsnap`
 * (see harness.ts); the platform-neutral ones run on Node as well. The negative fixtures prove
 * the harness fails a run whose code XS cannot execute.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { createPublicKey, verify } from "node:crypto";
import { readdirSync } from "node:fs";
import { describeRun, ensureXsnap, runCheckOnNode, runCheckOnXs, xsVersion, type CheckRun } from "./harness";

function expectPassed(run: CheckRun): void {
  if (!run.passed) throw new Error(`check program failed:\n${describeRun(run)}`);
  expect(run.problems).toEqual([]);
  expect(run.ok.length).toBeGreaterThan(0);
}

/** Every check program except the meter, which has its own test below. */
const CHECKS = readdirSync("test/xs/checks")
  .filter((file) => file.endsWith(".check.ts") && file !== "meter.check.ts")
  .map((file) => file.slice(0, -".check.ts".length))
  .sort();

let version = "";

beforeAll(() => {
  ensureXsnap();
  version = xsVersion();
  console.log(`XS engine: ${version} (xsnap from @agoric/xsnap)`);
}, 180_000);

describe("check programs on XS", () => {
  it("runs on a known XS version", () => {
    expect(version).toMatch(/^XS \d+\.\d+\.\d+$/);
  });

  it.each(CHECKS)("%s passes on XS", async (name) => {
    expectPassed(await runCheckOnXs(`test/xs/checks/${name}.check.ts`));
  });

  it.each(CHECKS)("%s passes on Node too (the code is engine-neutral)", async (name) => {
    expectPassed(await runCheckOnNode(`test/xs/checks/${name}.check.ts`));
  });

  it("meters one confirmation, with the same computrons on every run", async () => {
    const first = await runCheckOnXs("test/xs/checks/meter.check.ts");
    expectPassed(first);
    const second = await runCheckOnXs("test/xs/checks/meter.check.ts");
    expect([...second.meters]).toEqual([...first.meters]);
    const m = Object.fromEntries(first.meters);
    for (const step of ["decode", "hmac", "verify", "journal", "compose", "confirmation"]) expect(m[step]).toBeGreaterThan(0);
    expect(m.verify).toBeGreaterThan(m.hmac);
    expect(m.confirmation).toBeGreaterThan(m.decode + m.verify + m.journal);
    console.log(
      `computrons on ${version} for one confirmation: ` +
        Object.entries(m).map(([step, n]) => `${step} ${n}`).join(", ") +
        ` (without the software HMAC: ${m.confirmation - m.hmac})`,
    );
  });
});

describe("the harness fails what XS cannot run", () => {
  it("a module calling setTimeout passes on Node and fails on XS", async () => {
    expectPassed(await runCheckOnNode("test/xs/fixtures/uses-settimeout.check.ts"));
    const run = await runCheckOnXs("test/xs/fixtures/uses-settimeout.check.ts");
    expect(run.passed).toBe(false);
    expect(run.notOk).toEqual([{ name: "heartbeat starts", message: expect.stringMatching(/ReferenceError.*setTimeout/) }]);
  });

  it("a module reading process.env while it loads fails on XS: no done line, the load error reported", async () => {
    const run = await runCheckOnXs("test/xs/fixtures/reads-process-env.check.ts");
    expect(run.passed).toBe(false);
    expect(run.done).toBeUndefined();
    expect(run.problems.join("\n")).toMatch(/failed to load: ReferenceError.*process/);
  });

  it("an exception in a promise job after done fails the run", async () => {
    const run = await runCheckOnXs("test/xs/fixtures/fails-after-done.check.ts");
    expect(run.passed).toBe(false);
    expect(run.done).toBe(1);
    expect(run.problems.join("\n")).toMatch(/late failure/);
  });

  it("a run past its computron budget fails", async () => {
    const run = await runCheckOnXs("test/xs/checks/device.check.ts", { meterLimit: 100_000 });
    expect(run.passed).toBe(false);
    expect(run.problems.join("\n")).toMatch(/too much computation|exit code/);
  });
});

describe("test vectors", () => {
  it("the P-256 vector in crypto.check.ts is standard ECDSA: OpenSSL verifies both S forms", () => {
    const point = Buffer.from("04223e045bce27cbe8279e2afae10cf7fbad7b54df11e5cae1c36b550aebe275e50d67873735dd3c1337bbb77acb4ae7c09cb53d3a17067cf9014d520353aa6a27", "hex");
    const key = createPublicKey({ key: { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33).toString("base64url") }, format: "jwk" });
    const message = Buffer.from("payterm p256 vector");
    const r = "1d976f0854e5e7647dc4268bf1eafd7e47e9de661fdf9b5751e395f69577d350";
    for (const s of ["147e33d437e514b4a6a4972b53740098dc1bbb6503ad698664cbfdfcdf272f27", "eb81cc2ac81aeb4c595b68d4ac8bff66e0cb3f48a36a34fe8eedccc61d3bf62a"])
      expect(verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, Buffer.from(r + s, "hex"))).toBe(true);
  });
});
