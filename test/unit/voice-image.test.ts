/**
 * Voice-pack images (docs/voice.md, "On flash"): the IMA ADPCM coder against sox, the image of a
 * built pack read back by the firmware's own check, every kind of damage refused with the reason
 * named, and `payterm release voice-image` / `sign --kind voice-pack`.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IMA_BLOCK_BYTES, IMA_BLOCK_SAMPLES, MAUD_HEADER_BYTES } from "../../hal/audio";
import { checkPackNow } from "../../firmware/voice/pack-check";
import { clipBytes, PackImageError, type PackIndex } from "../../firmware/voice/pack-image";
import { decodeIma, encodeIma } from "../../host-sim/audio/ima-adpcm";
import { VOICE_BUILD_DIR } from "../../host-sim/audio/voice-pack";
import { parseWav } from "../../host-sim/audio/wav";
import { main } from "../../host-sim/cli";
import { nodeCrypto } from "../../host-sim/hal/node-crypto";
import { DEFAULT_VOICE_BYTES } from "../../host-sim/hal/update-slots";
import { sourceLanguages } from "../../host-sim/audio/voice-source";
import { buildVoiceImage, layoutVoiceImage, VoiceImageError } from "../../host-sim/release/voice-image";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "payterm-voice-image-"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Microsoft IMA ADPCM WAV (format 0x11) holding `blocks`, mono, 68-byte blocks of 129 samples. */
function imaWav(blocks: Uint8Array, sampleRate: number): Uint8Array {
  const samples = (blocks.length / IMA_BLOCK_BYTES) * IMA_BLOCK_SAMPLES;
  const out = new Uint8Array(12 + 28 + 12 + 8 + blocks.length);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string) => [...text].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  ascii(0, "RIFF");
  view.setUint32(4, out.length - 8, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 20, true);
  view.setUint16(20, 0x11, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, Math.round((sampleRate * IMA_BLOCK_BYTES) / IMA_BLOCK_SAMPLES), true);
  view.setUint16(32, IMA_BLOCK_BYTES, true);
  view.setUint16(34, 4, true);
  view.setUint16(36, 2, true);
  view.setUint16(38, IMA_BLOCK_SAMPLES, true);
  ascii(40, "fact");
  view.setUint32(44, 4, true);
  view.setUint32(48, samples, true);
  ascii(52, "data");
  view.setUint32(56, blocks.length, true);
  out.set(blocks, 60);
  return out;
}

function soxDecode(wav: Uint8Array): Int16Array {
  const file = join(dir, "ima.wav");
  writeFileSync(file, wav);
  const result = spawnSync("sox", [file, "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-"], { maxBuffer: 64 * 1024 * 1024 });
  expect(result.status).toBe(0);
  const raw = result.stdout;
  return new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
}

/** A chirp with noise and a loud burst: every step size gets used. */
function signal(length: number): Int16Array {
  const out = new Int16Array(length);
  let seed = 12345;
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const noise = ((seed >>> 16) & 0x3ff) - 512;
    const loud = i > length / 2 && i < (length * 3) / 4 ? 24000 : 6000;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(loud * Math.sin((i * i) / 40000) + noise)));
  }
  return out;
}

function snrDb(reference: Int16Array, decoded: Int16Array): number {
  let power = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    power += reference[i] ** 2;
    noise += (reference[i] - decoded[i]) ** 2;
  }
  return 10 * Math.log10(power / noise);
}

describe("IMA ADPCM", () => {
  it("encodes blocks that sox decodes to exactly what decodeIma gives, close to the input", () => {
    const input = signal(129 * 40 + 77);
    const blocks = encodeIma(input);
    expect(blocks.length).toBe(41 * IMA_BLOCK_BYTES);
    const ours = decodeIma(blocks);
    const sox = soxDecode(imaWav(blocks, 8000));
    expect(sox.length).toBe(ours.length);
    expect(Buffer.from(sox.buffer).equals(Buffer.from(ours.buffer))).toBe(true);
    expect(snrDb(input, ours.subarray(0, input.length))).toBeGreaterThan(20);
    // The last block is filled out with silence.
    expect(Math.max(...Array.from(ours.subarray(ours.length - 20), Math.abs))).toBeLessThan(64);
  });

  it("refuses bytes that are not whole blocks", () => {
    expect(() => decodeIma(new Uint8Array(67))).toThrow(RangeError);
  });
});

describe("the image of a built pack", () => {
  const language = "hi";
  let image: Uint8Array;
  let index: PackIndex;
  const manifest = () => JSON.parse(readFileSync(join(VOICE_BUILD_DIR, language, "pack.json"), "utf8")) as { version: string; imaBytes: number; clips: { name: string; samples: number }[] };

  beforeAll(() => {
    ({ image, index } = buildVoiceImage(join(VOICE_BUILD_DIR, language)));
  });

  const check = (bytes: Uint8Array, expect = { language, version: manifest().version, sampleRate: 8000 }) =>
    checkPackNow((offset, into) => into.set(bytes.subarray(offset, offset + into.length)), bytes.length, nodeCrypto, expect);

  it("holds every clip of pack.json, each as IMA blocks of its WAV, in the bytes pack.json counts", () => {
    const m = manifest();
    expect([index.language, index.version, index.sampleRate]).toEqual([language, m.version, 8000]);
    expect(index.clips.map((c) => c.name)).toEqual(m.clips.map((c) => c.name));
    // pack.json counts a MAUD header per clip; the image has one for all of them.
    expect(index.indexOffset).toBe(m.imaBytes - MAUD_HEADER_BYTES * (m.clips.length - 1));
    for (const clip of index.clips) {
      const wav = parseWav(readFileSync(join(VOICE_BUILD_DIR, language, `${clip.name}.wav`))).samples;
      expect(clip.blocks).toBe(Math.ceil(wav.length / IMA_BLOCK_SAMPLES));
      const { offset, length } = clipBytes(clip);
      const decoded = decodeIma(image.subarray(offset, offset + length));
      expect(snrDb(wav, decoded.subarray(0, wav.length))).toBeGreaterThan(12);
    }
    expect(check(image).clips).toHaveLength(m.clips.length);
  });

  it("is refused when a clip's bytes, the index, or its length are damaged, naming what", () => {
    const clip = index.clips[7];
    const damaged = image.slice();
    damaged[clipBytes(clip).offset + 20] ^= 0x10;
    expect(() => check(damaged)).toThrow(new PackImageError(`clip "${clip.name}" does not match its hash`));
    const index2 = image.slice();
    index2[index.indexOffset + 14] ^= 0x01;
    expect(() => check(index2)).toThrow("the index does not match its hash");
    expect(() => check(image.subarray(0, image.length - 40))).toThrow(PackImageError);
    expect(() => check(image.subarray(0, index.indexOffset))).toThrow(/does not fit a pack/);
    const header = image.slice();
    header[7] = 0;
    expect(() => check(header)).toThrow("the clip area is not 16-bit mono IMA ADPCM");
    expect(() => check(image, { language: "ta", version: manifest().version, sampleRate: 8000 })).toThrow(`the pack speaks hi, not ta`);
    expect(() => check(image, { language, version: "9.9.9", sampleRate: 8000 })).toThrow(/the release 9\.9\.9/);
    expect(() => check(image, { language, version: manifest().version, sampleRate: 11025 })).toThrow(/8000 Hz, the speaker at 11025/);
  });

  it("refuses an index whose clips are out of order, twice, or outside the clip area, even with a good hash", () => {
    const clip = (name: string, blocks = 1) => ({ name, blocks: encodeIma(signal(blocks * IMA_BLOCK_SAMPLES)) });
    const good = layoutVoiceImage({ language: "ta", version: "2.0.0", sampleRate: 8000, clips: [clip("b"), clip("a", 2)] });
    expect(check(good, { language: "ta", version: "2.0.0", sampleRate: 8000 }).clips.map((c) => [c.name, c.firstBlock, c.blocks])).toEqual([["a", 0, 2], ["b", 2, 1]]);
    const ta = { language: "ta", version: "2.0.0", sampleRate: 8000 };
    const twice = layoutVoiceImage({ ...ta, clips: [clip("a"), clip("a")] });
    expect(() => check(twice, ta)).toThrow('clip "a" is out of name order or twice');
    // Clip "b" claims 5 blocks where 1 is left: its entry is the index's last, before the hash.
    const outside = good.slice();
    const indexStart = MAUD_HEADER_BYTES + 3 * IMA_BLOCK_BYTES;
    const hashAt = outside.length - 32;
    new DataView(outside.buffer).setUint16(hashAt - 32 - 2, 5, true);
    outside.set(nodeCrypto.sha256(outside.subarray(indexStart, hashAt)), hashAt);
    expect(() => check(outside, ta)).toThrow('clip "b" lies outside the clip area');
  });

  it("is not built from a pack whose WAV no longer matches pack.json, or that misses a clip", () => {
    const copy = join(dir, "hi-copy");
    cpSync(join(VOICE_BUILD_DIR, language), copy, { recursive: true });
    const wav = join(copy, "received.wav");
    const bytes = readFileSync(wav);
    bytes[bytes.length - 2] ^= 0x01;
    writeFileSync(wav, bytes);
    expect(() => buildVoiceImage(copy)).toThrow(new VoiceImageError(`${wav} does not match its SHA-256 in pack.json`));
    rmSync(wav);
    expect(() => buildVoiceImage(copy)).toThrow(/received\.wav is missing: the pack is incomplete/);
  });

  it.each(sourceLanguages())("%s: the image checks out and fits a voice-pack partition", (code) => {
    const built = buildVoiceImage(join(VOICE_BUILD_DIR, code));
    expect(built.index.language).toBe(code);
    expect(built.image.length).toBeLessThanOrEqual(DEFAULT_VOICE_BYTES);
  });

  it("is refused when it would not fit a voice-pack partition", () => {
    expect(() => buildVoiceImage(join(VOICE_BUILD_DIR, language), 200_000)).toThrow(/more than a voice-pack partition's 200000/);
  });
});

describe("payterm release voice-image and sign --kind voice-pack", () => {
  async function run(...args: string[]): Promise<{ code: number; output: string }> {
    const lines: string[] = [];
    const log = jest.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const error = jest.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      return { code: await main(["release", ...args]), output: lines.join("\n") };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  it("builds the image of a pack, signs it as a voice pack, and refuses to sign anything else as one", async () => {
    const out = join(dir, "ta.vpk");
    const built = await run("voice-image", "--lang", "ta", "--out", out);
    expect(built.code).toBe(0);
    expect(JSON.parse(built.output)).toMatchObject({ language: "ta", clips: 114, bytes: readFileSync(out).length });
    const keys = join(dir, "keys");
    expect((await run("keygen", "--out", keys)).code).toBe(0);
    const version = (JSON.parse(readFileSync(join(VOICE_BUILD_DIR, "ta", "pack.json"), "utf8")) as { version: string }).version;
    const sign = (...extra: string[]) =>
      run("sign", "--key", join(keys, "release.key.pem"), "--product", "soundbox", "--kind", "voice-pack", "--min-version", "1.0.0", "--out", join(dir, "m"), ...extra);
    expect((await sign("--image", out, "--lang", "ta", "--version", version)).code).toBe(0);
    const wrongLanguage = await sign("--image", out, "--lang", "hi", "--version", version);
    expect(wrongLanguage.code).toBe(2);
    expect(wrongLanguage.output).toMatch(/not a voice pack a device would install: the pack speaks ta, not hi/);
    const notAPack = join(dir, "junk.bin");
    writeFileSync(notAPack, new Uint8Array(5000).fill(7));
    const junk = await sign("--image", notAPack, "--lang", "ta", "--version", version);
    expect(junk.code).toBe(2);
    expect(junk.output).toMatch(/MAUD header/);
  });
});
