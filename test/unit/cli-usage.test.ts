/**
 * Bad arguments to any payterm command: exit code 2, a message on stderr that names what is
 * wrong, then the usage; nothing is started, written or sent. Every registered command is
 * covered, so a new one cannot slip past the convention.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMMANDS } from "../../host-sim/cli";
import { runCli } from "../support/cli";

const dir = mkdtempSync(join(tmpdir(), "payterm-cli-usage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectUsageError(run: { code: number; out: string; err: string }, message: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.out).toBe("");
  expect(run.err).toMatch(/^payterm: /);
  expect(run.err.split("\n")[0]).toMatch(message);
  expect(run.err).toMatch(/\nusage:\n {2}payterm start/);
}

describe("bad arguments exit 2 with the reason and the usage", () => {
  it("no command, or one that does not exist", async () => {
    expectUsageError(await runCli(), /name a command/);
    expectUsageError(await runCli("launch"), /unknown command "launch"/);
    const help = await runCli("help");
    expect([help.code, help.out.split("\n")[0]]).toEqual([0, "usage:"]);
  });

  it.each(COMMANDS.map((command) => command.name))("%s with a flag it does not take", async (name) => {
    const run = await runCli(name, "--no-such-flag");
    expect(run.code).toBe(2);
    expect(run.err.split("\n")[0]).toMatch(/^payterm: (Unknown option '--no-such-flag'|qr takes parse or make|release needs one of)/);
  });

  const state = join(dir, "state");
  it.each([
    ["start", /--web-port must be a whole number from 0 to 65535, got "70000"/, ["--web-port", "70000", "--state", state]],
    ["start", /--broker-port must be a whole number from 0 to 65535, got "http"/, ["--broker-port", "http", "--state", state]],
    ["pay", /--amount must be a positive decimal with at most 2 decimals and no separators, up to 99999999.99, got "1,000"/, ["--device", "soundbox-1", "--amount", "1,000", "--state", state]],
    ["pay", /--currency XYZ is not a supported ISO 4217 code/, ["--device", "soundbox-1", "--amount", "1", "--currency", "XYZ", "--state", state]],
    ["pay", /no running simulator found/, ["--device", "soundbox-1", "--amount", "1", "--state", state]],
    ["cmd", /--timeout \(seconds\) must be a whole number from 1 to 86400, got "0"/, ["--device", "soundbox-1", "summary", "--timeout", "0", "--state", state]],
    ["cmd", /a command name is required/, ["--device", "soundbox-1", "--state", state]],
    ["run", /name at least one scenario file or directory/, []],
    ["release", /--size \(bytes\) must be a whole number from 1 to/, ["sim-image", "--version", "0.2.0", "--product", "soundbox", "--size", "0", "--out", join(dir, "img")]],
    ["release", /cannot read the manifest/, ["publish", "--manifest", join(dir, "none")]],
    ["say", /the amount must be a positive decimal with at most 2 decimals/, ["12.345"]],
    ["say", /--volume must be a whole number from 1 to 7, got "loud"/, ["1", "--volume", "loud"]],
    ["provision", /--count must be a whole number from 1 to 100000, got "0"/, ["--out", join(dir, "batch"), "--count", "0", "--product", "soundbox", "--broker", "mqtt://127.0.0.1:1883"]],
    ["qr", /--expires-in \(seconds\) must be a whole number from 1 to 31622400, got "0"/, ["make", "--scheme", "upi", "--amount", "1", "--pa", "a@b", "--pn", "A", "--expires-in", "0"]],
    ["qr", /qr parse takes exactly one PAYLOAD/, ["parse"]],
    ["fleet", /--devices must be an integer from 1 to 20000, got "0"/, ["--devices", "0"]],
    ["nfc", /--seq must be a whole number from 1 to 2147483647, got "0"/, ["sign-tag", "--device", "qr-7", "--ssid", "x", "--seq", "0", "--state", state]],
    ["nfc", /nfc decode needs the bytes, as hex/, ["decode"]],
  ])("%s: %p", async (name, message, args) => {
    expectUsageError(await runCli(name, ...(args as string[])), message as RegExp);
  });

  it("refusing arguments leaves nothing behind", () => {
    expect(existsSync(state)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
