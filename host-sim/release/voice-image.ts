/**
 * Voice-pack images: a built voice pack (build/voice/<lang>/: pack.json and a WAV per clip) laid
 * out as a device keeps it in a voice-pack partition (firmware/voice/pack-image.ts; docs/voice.md,
 * "On flash"), ready for `payterm release sign --kind voice-pack`. Each WAV is checked against
 * its SHA-256 in pack.json before it is encoded, and the image is read back with the firmware's
 * own check before it is handed out.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { IMA_BLOCK_BYTES, IMA_BLOCK_SAMPLES, MAUD_HEADER_BYTES } from "../../hal/audio";
import { checkPackNow } from "../../firmware/voice/pack-check";
import { PACK_FORMAT, PACK_MAGIC, PackImageError, parsePackHeader, type PackIndex } from "../../firmware/voice/pack-image";
import { encodeIma } from "../audio/ima-adpcm";
import { parseWav } from "../audio/wav";
import { nodeCrypto } from "../hal/node-crypto";
import { DEFAULT_VOICE_BYTES } from "../hal/update-slots";

export class VoiceImageError extends Error {}

/** One clip as IMA ADPCM blocks. */
export interface EncodedClip {
  name: string;
  blocks: Uint8Array;
}

export interface VoicePackContents {
  language: string;
  version: string;
  sampleRate: number;
  clips: EncodedClip[];
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** The image's bytes: the MAUD header, every clip's blocks in name order, the index. */
export function layoutVoiceImage(pack: VoicePackContents): Uint8Array {
  const clips = pack.clips.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const clip of clips) {
    const count = clip.blocks.length / IMA_BLOCK_BYTES;
    if (!Number.isInteger(count) || count === 0 || count > 0xffff) throw new VoiceImageError(`clip ${clip.name}: ${clip.blocks.length} bytes are not 1 to 65535 IMA blocks`);
  }
  const language = ascii(pack.language);
  const version = ascii(pack.version);
  const names = clips.map((clip) => ascii(clip.name));
  const blocks = clips.reduce((sum, clip) => sum + clip.blocks.length / IMA_BLOCK_BYTES, 0);
  const indexStart = MAUD_HEADER_BYTES + blocks * IMA_BLOCK_BYTES;
  const indexBytes = 12 + language.length + version.length + names.reduce((sum, name) => sum + 1 + name.length + 4 + 2 + 32, 0) + 32;
  const image = new Uint8Array(indexStart + indexBytes);
  const view = new DataView(image.buffer);
  image.set(ascii("ma"), 0);
  image[2] = 1;
  image[3] = 16;
  view.setUint16(4, pack.sampleRate, true);
  image[6] = 1;
  image[7] = 1;
  view.setUint32(8, blocks * IMA_BLOCK_SAMPLES, true);
  let at = indexStart;
  image.set(ascii(PACK_MAGIC), at);
  image[at + 4] = PACK_FORMAT;
  image[at + 5] = language.length;
  image[at + 6] = version.length;
  view.setUint16(at + 8, clips.length, true);
  at += 12;
  image.set(language, at);
  at += language.length;
  image.set(version, at);
  at += version.length;
  let first = 0;
  clips.forEach((clip, i) => {
    const count = clip.blocks.length / IMA_BLOCK_BYTES;
    image.set(clip.blocks, MAUD_HEADER_BYTES + first * IMA_BLOCK_BYTES);
    image[at] = names[i].length;
    image.set(names[i], at + 1);
    at += 1 + names[i].length;
    view.setUint32(at, first, true);
    view.setUint16(at + 4, count, true);
    image.set(sha256(clip.blocks), at + 6);
    at += 6 + 32;
    first += count;
  });
  image.set(sha256(image.subarray(indexStart, at)), at);
  return image;
}

interface PackManifestClip {
  name: string;
  sha256: string;
}

/** Reads build/voice/<lang>/pack.json and its WAVs, checked against their hashes, as IMA blocks. */
export function readBuiltPack(directory: string): VoicePackContents {
  const manifestPath = join(directory, "pack.json");
  if (!existsSync(manifestPath)) throw new VoiceImageError(`${manifestPath} is missing; run npm run build:voice`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { language: string; version: string; sampleRate: number; clips: PackManifestClip[] };
  const clips = manifest.clips.map((clip) => {
    const path = join(directory, `${clip.name}.wav`);
    if (!existsSync(path)) throw new VoiceImageError(`${path} is missing: the pack is incomplete`);
    const bytes = new Uint8Array(readFileSync(path));
    if (Buffer.from(sha256(bytes)).toString("hex") !== clip.sha256) throw new VoiceImageError(`${path} does not match its SHA-256 in pack.json`);
    const pcm = parseWav(bytes);
    if (pcm.sampleRate !== manifest.sampleRate || pcm.channels !== 1) throw new VoiceImageError(`${path} is ${pcm.sampleRate} Hz, ${pcm.channels} channels; the pack is ${manifest.sampleRate} Hz mono`);
    return { name: clip.name, blocks: encodeIma(pcm.samples) };
  });
  return { language: manifest.language, version: manifest.version, sampleRate: manifest.sampleRate, clips };
}

/** Checks an image as a device will before installing it; returns its index. Throws VoiceImageError. */
export function checkVoiceImage(image: Uint8Array, release: { language: string; version: string }): PackIndex {
  try {
    const { sampleRate } = parsePackHeader(image);
    return checkPackNow((offset, into) => into.set(image.subarray(offset, offset + into.length)), image.length, nodeCrypto, { ...release, sampleRate });
  } catch (error) {
    if (error instanceof PackImageError) throw new VoiceImageError(`not a voice pack a device would install: ${error.message}`);
    throw error;
  }
}

/** The image of a built pack, checked, and refused when it would not fit a device's voice-pack partition. */
export function buildVoiceImage(directory: string, areaBytes = DEFAULT_VOICE_BYTES): { image: Uint8Array; index: PackIndex } {
  const pack = readBuiltPack(directory);
  const image = layoutVoiceImage(pack);
  if (image.length > areaBytes) throw new VoiceImageError(`the ${pack.language} pack takes ${image.length} bytes, more than a voice-pack partition's ${areaBytes}`);
  return { image, index: checkVoiceImage(image, pack) };
}
