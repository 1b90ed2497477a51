/**
 * `payterm say`: the WAV it writes is the composer's clips (firmware/voice) from the built voice
 * pack, back to back, checked sample by sample against the clip files and read back by sox;
 * every kind of bad argument is a usage error (exit 2) that writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { currencyInfo } from "../../firmware/money";
import { volumeGain } from "../../firmware/soundbox/volume";
import { languageFor } from "../../firmware/voice/languages";
import { VOICE_BUILD_DIR } from "../../host-sim/audio/voice-pack";
import { sourceLanguages } from "../../host-sim/audio/voice-source";
import { parseWav } from "../../host-sim/audio/wav";
import { runCli } from "../support/cli";

let dir: string;
/** What the last run printed: its lines on stdout, and on stderr. */
let printed: string[];
let warned: string;

async function say(...args: string[]): Promise<number> {
  const { code, out, err } = await runCli("say", ...args);
  printed = out.split("\n");
  warned = err;
  return code;
}

/** The pack's clip files, read on their own and joined: what the WAV must hold. */
function expectedSamples(language: string, clips: string[], gain = 1): Int16Array {
  const parts = clips.map((name) => parseWav(readFileSync(join(VOICE_BUILD_DIR, language, `${name}.wav`))).samples);
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) out[at + i] = Math.round(part[i] * gain);
    at += part.length;
  }
  return out;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "payterm-say-"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("payterm say", () => {
  it("writes the announcement as one WAV whose samples are the composer's clips, in order", async () => {
    const file = join(dir, "en.wav");
    expect(await say("1234.50", "--currency", "INR", "--lang", "en-in", "--provider", "UPI", "--wav", file)).toBe(0);
    const clips = languageFor("en-in")!.payment({ amountMinor: 123450, currency: currencyInfo("INR")!, provider: "UPI" });
    expect(printed[0]).toBe(clips.join(" "));
    const wav = parseWav(readFileSync(file));
    const packRate = parseWav(readFileSync(join(VOICE_BUILD_DIR, "en-in", "received.wav"))).sampleRate;
    expect([wav.sampleRate, wav.channels]).toEqual([packRate, 1]);
    expect(Buffer.from(wav.samples.buffer).equals(Buffer.from(expectedSamples("en-in", clips).buffer))).toBe(true);
    // An independent reader agrees on the format and the length.
    const soxi = (option: string) => spawnSync("soxi", [option, file], { encoding: "utf8" }).stdout.trim();
    expect(["-r", "-c", "-b", "-s"].map(soxi)).toEqual([String(packRate), "1", "16", String(wav.samples.length)]);
  });

  it("scales the samples by the gain of --volume", async () => {
    const file = join(dir, "quiet.wav");
    expect(await say("5", "--volume", "3", "--wav", file)).toBe(0);
    const clips = languageFor("en-in")!.payment({ amountMinor: 500, currency: currencyInfo("INR")!, provider: "UPI" });
    const samples = parseWav(readFileSync(file)).samples;
    expect(Buffer.from(samples.buffer).equals(Buffer.from(expectedSamples("en-in", clips, volumeGain(3)).buffer))).toBe(true);
  });

  it("announces a provider without a clip without its name, and says so", async () => {
    expect(await say("10", "--provider", "Acme Wallet")).toBe(0);
    expect(warned).toBe('payterm: provider "Acme Wallet" has no clip in any pack; announced without its name');
    expect(printed.at(-1)).toBe("received n10 rupees");
  });

  const languages = sourceLanguages().filter((code) => languageFor(code) && existsSync(join(VOICE_BUILD_DIR, code, "pack.json")));

  it.each(languages)("says an amount in %s from that language's pack", async (code) => {
    const file = join(dir, `${code}.wav`);
    expect(await say("99999999.99", "--lang", code, "--wav", file)).toBe(0);
    const clips = languageFor(code)!.payment({ amountMinor: 9_999_999_999, currency: currencyInfo("INR")!, provider: "UPI" });
    expect(Buffer.from(parseWav(readFileSync(file)).samples.buffer).equals(Buffer.from(expectedSamples(code, clips).buffer))).toBe(true);
  });

  it.each([
    ["no amount", [], /one amount, got none/],
    ["two amounts", ["1", "2"], /one amount, got 1 2/],
    ["a thousands separator", ["1,234.50"], /positive decimal/],
    ["too many decimals", ["1.234"], /at most 2 decimals/],
    ["zero", ["0.00"], /positive decimal/],
    ["a negative amount", ["--", "-5"], /positive decimal/],
    ["an amount past the limit", ["100000000.00"], /positive decimal/],
    ["an unknown currency", ["1", "--currency", "XYZ"], /--currency XYZ/],
    ["a lower-case currency", ["1", "--currency", "inr"], /--currency inr/],
    ["an unknown language", ["1", "--lang", "xx"], /--lang xx is not a voice.*en-in/],
    ["a volume out of range", ["1", "--volume", "9"], /--volume must be a whole number from 1 to 7/],
    ["a volume that is not a number", ["1", "--volume", "loud"], /--volume/],
    ["an empty provider", ["1", "--provider", " "], /--provider must not be empty/],
    ["an unknown flag", ["1", "--speed", "2"], /speed/],
    ["an empty --wav", ["1", "--wav", ""], /--wav needs a file name/],
  ])("refuses %s with a usage error and writes nothing", async (_what, args, message) => {
    const before = readdirSync(dir).length;
    expect(await say(...(args as string[]))).toBe(2);
    expect(warned).toMatch(message);
    expect(warned).toMatch(/usage:/);
    expect(readdirSync(dir).length).toBe(before);
  });
});
