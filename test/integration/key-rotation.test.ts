/**
 * Key rotation end to end, and `payterm cmd`, against a running simulator (aedes): the CLI
 * rotates the soundbox's key, the registry switches to the new key, the simulator's payment
 * service signs the next payment with it, the old key is accepted through its grace period and
 * refused once retired.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../support/cli";
import { parseCommandArgs } from "../../host-sim/cli/cmd";
import { signConfirmation, type DeviceKey } from "../../host-sim/service/confirmation";
import { Simulator } from "../../host-sim/simulator";

const DEVICE = "soundbox-rot";

describe("key rotation and payterm cmd (aedes)", () => {
  let simulator: Simulator;
  let stateDir: string;
  let original: DeviceKey;

  const payWith = async (key: DeviceKey, txn: string) => {
    const now = Date.now();
    await simulator.service.publishRaw(DEVICE, signConfirmation({ transactionId: txn, deviceId: DEVICE, amountMinor: 500, currency: "INR", provider: "UPI", confirmedAt: now, expiresAt: now + 60_000 }, key));
    return simulator.service.waitForAck(txn);
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "payterm-rot-"));
    simulator = await Simulator.start({ stateDir, devices: [{ deviceId: DEVICE, product: "soundbox" }] });
    await simulator.device(DEVICE).log.waitFor((e) => e.name === "connected");
    original = simulator.registry.keyFor(DEVICE)!;
  });

  afterAll(async () => {
    await simulator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("changes a setting and prints the device's result", async () => {
    const { code, out } = await runCli("cmd", "--device", DEVICE, "--state", stateDir, "config", "lateMin=10");
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ deviceId: DEVICE, status: "ok", result: { values: { lateMin: 10 }, restart: [] } });
  });

  it("exits 1 with the device's reason when it refuses", async () => {
    const { code, out } = await runCli("cmd", "--device", DEVICE, "--state", stateDir, "config", "lateMin=99999");
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ status: "rejected", reason: "bad_args", detail: 'setting "lateMin" must be an integer from 0 to 1440' });
  });

  it("rotates the key: the device and the registry switch, the service signs with the new key, the old one lasts its grace", async () => {
    const { code, out, err } = await runCli("cmd", "--device", DEVICE, "--state", stateDir, "rotate-key", "grace=3600");
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result).toMatchObject({ status: "ok", result: { cur: "k2", retiring: { k1: expect.any(Number) } } });
    expect(err).toMatch(/now signs with k2/);
    // The simulator's registry sees the change the CLI saved.
    const rotated = simulator.registry.keyFor(DEVICE)!;
    expect(rotated.keyId).toBe("k2");
    expect(Buffer.from(rotated.key).equals(Buffer.from(original.key))).toBe(false);
    // The service signs the next payment with k2, and the device announces it.
    const announced = simulator.device(DEVICE).log.waitFor((e) => e.name === "announced");
    const fields = await simulator.service.publish({ deviceId: DEVICE, amountMinor: 25000, currency: "INR", provider: "UPI" });
    expect(await simulator.service.waitForAck(fields.transactionId)).toMatchObject({ status: "announced" });
    expect((await announced).fields.txn).toBe(fields.transactionId);
    // A confirmation signed with the old key before the switch still verifies, within the grace.
    expect(await payWith(original, "T-OLD-KEY-1")).toMatchObject({ status: "announced" });
  });

  it("retires the old key: confirmations signed with it are refused from then on", async () => {
    const { code, out } = await runCli("cmd", "--device", DEVICE, "--state", stateDir, "retire-key", "kid=k1");
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ status: "ok", result: { retired: "k1" } });
    // Unauthenticated, the body is never read, so the ack cannot name the transaction: watch the device.
    const rejected = simulator.device(DEVICE).log.waitFor((e) => e.name === "rejected");
    const now = Date.now();
    await simulator.service.publishRaw(DEVICE, signConfirmation({ transactionId: "T-OLD-KEY-2", deviceId: DEVICE, amountMinor: 500, currency: "INR", provider: "UPI", confirmedAt: now }, original));
    expect((await rejected).fields).toMatchObject({ reason: "unknown_key", detail: 'no key with id "k1"' });
    expect(await payWith(simulator.registry.keyFor(DEVICE)!, "T-NEW-KEY")).toMatchObject({ status: "announced" });
  });

  it("the rotation survives a power cycle of the device", async () => {
    const device = simulator.device(DEVICE);
    device.powerOff();
    const connected = device.log.waitFor((e) => e.name === "connected");
    device.start();
    await connected;
    const fields = await simulator.service.publish({ deviceId: DEVICE, amountMinor: 100, currency: "INR", provider: "UPI" });
    expect(await simulator.service.waitForAck(fields.transactionId)).toMatchObject({ status: "announced" });
  });

  it.each([
    [["cmd", "config"], /--device is required/],
    [["cmd", "--device", DEVICE], /a command name is required/],
    [["cmd", "--device", DEVICE, "Config"], /command names are/],
    [["cmd", "--device", DEVICE, "config", "lateMin"], /arguments are NAME=VALUE/],
    [["cmd", "--device", DEVICE, "config", "--json", "[1]"], /--json must be a JSON object/],
    [["cmd", "--device", DEVICE, "config", "--timeout", "0"], /--timeout \(seconds\) must be a whole number from 1 to 86400/],
    [["cmd", "--device", "nobody", "config"], /device nobody is not in/],
    [["cmd", "--device", DEVICE, "rotate-key", "kid=k9"], /rotate-key takes only grace=SECONDS/],
  ])("refuses bad arguments %j with exit code 2", async (argv, message) => {
    const { code, err } = await runCli(...argv, "--state", stateDir);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it("reads NAME=VALUE arguments with their types", () => {
    expect(parseCommandArgs(["a=1", "b=-2", "c=true", "d=null", "e=en-in", "f=1.5", "g="], '{"h": [1, "x"]}')).toEqual({
      h: [1, "x"],
      a: 1,
      b: -2,
      c: true,
      d: null,
      e: "en-in",
      f: "1.5",
      g: "",
    });
  });
});
