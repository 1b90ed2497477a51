/**
 * Commands end to end on a real broker (aedes in-process): PaymentService.command signs and
 * publishes, the simulated soundbox's firmware runs the handler, the result comes back on cmdack.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Simulator } from "../../host-sim/simulator";

const DEVICE = "soundbox-cmd";

describe("commands through the payment service (aedes)", () => {
  let simulator: Simulator;
  let stateDir: string;
  let runs: number;

  const registerEcho = () =>
    simulator.device(DEVICE).firmware.commands.register("echo", ({ args }) => {
      const text = args.text("text", /^.{0,40}$/);
      args.done();
      runs++;
      return { text };
    });

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "payterm-cmd-"));
    runs = 0;
    simulator = await Simulator.start({ stateDir, devices: [{ deviceId: DEVICE, product: "soundbox" }], service: { commands: { retryMs: 200, maxRetryMs: 400 } } });
    await simulator.device(DEVICE).log.waitFor((e) => e.name === "connected");
    registerEcho();
  });

  afterAll(async () => {
    await simulator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("runs a command on the device and returns its result", async () => {
    const result = await simulator.service.command(DEVICE, "echo", { text: "hello" });
    expect(result).toMatchObject({ deviceId: DEVICE, status: "ok", result: { text: "hello" } });
    expect(runs).toBe(1);
  });

  it("returns the device's refusal with its reason", async () => {
    expect(await simulator.service.command(DEVICE, "echo", { txt: "typo" })).toMatchObject({ status: "rejected", reason: "bad_args", detail: 'argument "text" is required' });
    expect(await simulator.service.command(DEVICE, "launch")).toMatchObject({ status: "rejected", reason: "unknown_command" });
  });

  it("keeps republishing while the device is off, and the command runs once when it is back", async () => {
    const device = simulator.device(DEVICE);
    device.powerOff();
    const before = runs;
    const pending = simulator.service.command(DEVICE, "echo", { text: "later" });
    await new Promise((r) => setTimeout(r, 700));
    const connected = device.log.waitFor((e) => e.name === "connected");
    device.start();
    registerEcho();
    await connected;
    expect(await pending).toMatchObject({ status: "ok", result: { text: "later" } });
    // The broker kept the copies sent while the device was away; all but the first are duplicates.
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toBe(before + 1);
  });

  it("rejects when the command expires without a result", async () => {
    const device = simulator.device(DEVICE);
    device.powerOff();
    await expect(simulator.service.command(DEVICE, "echo", { text: "never" }, { expiresInMs: 500 })).rejects.toThrow(/expired without a result/);
    const connected = device.log.waitFor((e) => e.name === "connected");
    device.start();
    registerEcho();
    await connected;
  });
});
