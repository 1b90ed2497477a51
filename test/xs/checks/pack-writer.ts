/**
 * Voice-pack images for the XS checks, written from docs/voice.md ("On flash") on their own,
 * not with the release tools: the firmware must read what the document describes. Clip data is
 * any bytes in whole 68-byte IMA blocks (the firmware never decodes it; the speaker does).
 */
import type { Crypto } from "../../../hal/crypto";

export interface WrittenClip {
  name: string;
  blocks: Uint8Array;
}

function bytesOf(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

function u16(value: number): number[] {
  return [value & 0xff, value >> 8];
}

function u32(value: number): number[] {
  return [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, value >>> 24];
}

/** MAUD header, the clips' blocks in the order given, then the index (clips must come in name order). */
export function writePack(crypto: Pick<Crypto, "sha256">, language: string, version: string, clips: WrittenClip[], sampleRate = 8000): Uint8Array {
  const blocks = clips.reduce((n, clip) => n + clip.blocks.length / 68, 0);
  const head = [...bytesOf("ma"), 1, 16, ...u16(sampleRate), 1, 1, ...u32(blocks * 129)];
  const index: number[] = [...bytesOf("PTVP"), 1, language.length, version.length, 0, ...u16(clips.length), 0, 0, ...bytesOf(language), ...bytesOf(version)];
  const audio: number[] = [];
  let first = 0;
  for (const clip of clips) {
    index.push(clip.name.length, ...bytesOf(clip.name), ...u32(first), ...u16(clip.blocks.length / 68), ...crypto.sha256(clip.blocks));
    audio.push(...clip.blocks);
    first += clip.blocks.length / 68;
  }
  const indexBytes = Uint8Array.from(index);
  return Uint8Array.from([...head, ...audio, ...index, ...crypto.sha256(indexBytes)]);
}

/** `count` blocks of bytes that differ per clip, so a clip played from the wrong place shows. */
export function clipBlocks(seed: number, count = 1): Uint8Array {
  return Uint8Array.from({ length: count * 68 }, (_, i) => (i * 31 + seed * 17 + 5) & 0xff);
}

/** Where a clip's blocks lie in a pack written by writePack, from its index in `clips`. */
export function blocksAt(image: Uint8Array, clips: WrittenClip[], name: string): Uint8Array {
  let offset = 12;
  for (const clip of clips) {
    if (clip.name === name) return image.subarray(offset, offset + clip.blocks.length);
    offset += clip.blocks.length;
  }
  throw new Error(`no clip ${name}`);
}
