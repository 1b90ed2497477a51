/**
 * A voice pack as it lies in a voice-pack area on flash (docs/voice.md, "On flash"): one clip
 * area that the audio output plays from where it lies, then a small index. Integers are
 * little-endian.
 *
 *   [0, 12)          MAUD header: "ma", 1, 16 (bits), sample rate (u16), 1 (channel),
 *                    1 (IMA ADPCM), sample count (u32) = 129 * B
 *   [12, I)          B IMA ADPCM blocks of 68 bytes (129 samples each), I = 12 + 68 * B: the
 *                    clips, each a run of whole blocks
 *   [I, size)        the index:
 *                      "PTVP", format 1, language length L, version length V, 0,
 *                      clip count N (u16), 0 (u16), language (L bytes), version (V bytes),
 *                      N entries in name order: name length n, name (n bytes of [a-z0-9_]),
 *                        first block (u32), blocks (u16), SHA-256 of the clip's blocks (32),
 *                      SHA-256 of the index bytes before it (32)
 *
 * The header comes first because pins/audioout reads a MAUD header at the start of the buffer
 * it is given, then plays from a sample offset for a sample count: the device hands it the
 * mapped partition and each clip's blocks, and copies nothing. The index lies after the blocks,
 * where the header's sample count says.
 */
import { IMA_BLOCK_BYTES, IMA_BLOCK_SAMPLES, MAUD_HEADER_BYTES } from "../../hal/audio";
import type { Crypto } from "../../hal/crypto";
import { constantTimeEqual } from "../protocol/bytes";

/** pins/audioout's sample format number for IMA ADPCM. */
const MAUD_IMA = 1;
export const PACK_MAGIC = "PTVP";
export const PACK_FORMAT = 1;
const INDEX_HEAD_BYTES = 12;
const HASH_BYTES = 32;
const ENTRY_FIXED_BYTES = 1 + 4 + 2 + HASH_BYTES;
/** A pack of 150 clips has an index of about 7 KB; this bounds what a device reads into memory. */
export const MAX_INDEX_BYTES = 32 * 1024;
const CLIP_NAME = /^[a-z0-9_]{1,40}$/;
const TAG = /^[a-z]{2,3}(-[a-z0-9]{2,8}){0,3}$/;
const VERSION = /^[0-9A-Za-z.+-]{1,31}$/;

export class PackImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PackImageError";
  }
}

/** What the MAUD header at byte 0 says. */
export interface PackHeader {
  sampleRate: number;
  /** IMA blocks in the clip area. */
  blocks: number;
  /** Where the index starts: the end of the clip area. */
  indexOffset: number;
}

export interface PackClip {
  readonly name: string;
  readonly firstBlock: number;
  readonly blocks: number;
  /** SHA-256 of the clip's blocks as stored. */
  readonly sha256: Uint8Array;
}

export interface PackIndex extends PackHeader {
  language: string;
  version: string;
  /** Bytes of the whole pack: the clip area and the index. */
  size: number;
  /** In name order. */
  clips: readonly PackClip[];
}

function fail(message: string): never {
  throw new PackImageError(message);
}

function u16(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8);
}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) {
    const c = bytes[at + i];
    if (c < 0x21 || c > 0x7e) fail("the index holds a byte that is not printable ASCII where text belongs");
    text += String.fromCharCode(c);
  }
  return text;
}

/** Where a clip's blocks lie in the pack. */
export function clipBytes(clip: Pick<PackClip, "firstBlock" | "blocks">): { offset: number; length: number } {
  return { offset: MAUD_HEADER_BYTES + clip.firstBlock * IMA_BLOCK_BYTES, length: clip.blocks * IMA_BLOCK_BYTES };
}

/** Reads the first 12 bytes of a pack. */
export function parsePackHeader(head: Uint8Array): PackHeader {
  if (head.length < MAUD_HEADER_BYTES) fail("shorter than a MAUD header");
  if (head[0] !== 0x6d || head[1] !== 0x61 || head[2] !== 1) fail('does not start with a MAUD header ("ma", version 1)');
  if (head[3] !== 16 || head[6] !== 1 || head[7] !== MAUD_IMA) fail("the clip area is not 16-bit mono IMA ADPCM");
  const sampleRate = u16(head, 4);
  const samples = u32(head, 8);
  if (sampleRate === 0 || samples === 0 || samples % IMA_BLOCK_SAMPLES !== 0) fail(`the MAUD header's rate ${sampleRate} or sample count ${samples} is not one of whole IMA blocks`);
  const blocks = samples / IMA_BLOCK_SAMPLES;
  return { sampleRate, blocks, indexOffset: MAUD_HEADER_BYTES + blocks * IMA_BLOCK_BYTES };
}

/**
 * Reads the index (the pack's bytes from `header.indexOffset` to its end) and checks its own
 * hash and every field; the clips' hashes are for the caller to check against their bytes.
 */
export function parsePackIndex(header: PackHeader, index: Uint8Array, primitives: Pick<Crypto, "sha256">): PackIndex {
  if (index.length < INDEX_HEAD_BYTES + HASH_BYTES) fail("the index is cut short");
  if (index.length > MAX_INDEX_BYTES) fail(`an index of ${index.length} bytes is more than ${MAX_INDEX_BYTES}`);
  const body = index.subarray(0, index.length - HASH_BYTES);
  if (!constantTimeEqual(primitives.sha256(body), index.subarray(body.length))) fail("the index does not match its hash");
  if (ascii(index, 0, 4) !== PACK_MAGIC) fail(`the index does not start with ${PACK_MAGIC}`);
  if (index[4] !== PACK_FORMAT) fail(`pack format ${index[4]} is not ${PACK_FORMAT}`);
  const languageLength = index[5];
  const versionLength = index[6];
  const count = u16(index, 8);
  let at = INDEX_HEAD_BYTES;
  if (at + languageLength + versionLength > body.length) fail("the index is cut short");
  const language = ascii(index, at, languageLength);
  at += languageLength;
  const version = ascii(index, at, versionLength);
  at += versionLength;
  if (!TAG.test(language)) fail(`"${language}" is not a language tag`);
  if (!VERSION.test(version)) fail(`"${version}" is not a version`);
  if (count === 0) fail("the pack has no clips");
  const clips: PackClip[] = [];
  for (let i = 0; i < count; i++) {
    if (at >= body.length) fail(`the index ends after ${i} of ${count} clips`);
    const nameLength = index[at];
    if (at + ENTRY_FIXED_BYTES + nameLength > body.length) fail(`the index ends inside clip ${i + 1} of ${count}`);
    const name = ascii(index, at + 1, nameLength);
    at += 1 + nameLength;
    const firstBlock = u32(index, at);
    const blocks = u16(index, at + 4);
    const sha256 = index.subarray(at + 6, at + 6 + HASH_BYTES);
    at += 6 + HASH_BYTES;
    if (!CLIP_NAME.test(name)) fail(`clip name "${name}" is not [a-z0-9_]{1,40}`);
    if (clips.length > 0 && !(clips[clips.length - 1].name < name)) fail(`clip "${name}" is out of name order or twice`);
    if (blocks === 0 || firstBlock + blocks > header.blocks) fail(`clip "${name}" lies outside the clip area`);
    clips.push({ name, firstBlock, blocks, sha256 });
  }
  if (at !== body.length) fail(`${body.length - at} bytes follow the last clip in the index`);
  return { ...header, language, version, size: header.indexOffset + index.length, clips };
}
