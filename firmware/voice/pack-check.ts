/**
 * Checks a voice pack where it lies (pack-image.ts): the MAUD header, the index and its hash,
 * then every clip's blocks against the index's SHA-256, so that a damaged or half-written pack
 * is never played. The caller says how much to do at a time: all at once at boot, a few reads
 * per turn while the device is serving payments.
 */
import { MAUD_HEADER_BYTES } from "../../hal/audio";
import type { Crypto, Sha256Stream } from "../../hal/crypto";
import { constantTimeEqual } from "../protocol/bytes";
import { clipBytes, MAX_INDEX_BYTES, PackImageError, parsePackHeader, parsePackIndex, type PackIndex } from "./pack-image";

export type PackRead = (offset: number, into: Uint8Array) => void;

/** What the pack must be besides whole: the release's language and version, at the output's rate. */
export interface PackExpectation {
  language: string;
  version: string;
  sampleRate: number;
}

const READ_BYTES = 4096;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class PackCheck {
  /** The index, read and checked when the check is made; the clips are checked by `step`. */
  readonly index: PackIndex;
  readonly #read: PackRead;
  readonly #crypto: Crypto;
  readonly #buffer = new Uint8Array(READ_BYTES);
  #clip = 0;
  #position = 0;
  #digest: Sha256Stream | undefined;

  /** Reads the header and the index of a pack of `size` bytes; throws PackImageError. */
  constructor(read: PackRead, size: number, crypto: Crypto, expect: PackExpectation) {
    this.#read = read;
    this.#crypto = crypto;
    if (size <= MAUD_HEADER_BYTES) throw new PackImageError(`a pack of ${size} bytes holds nothing`);
    const header = parsePackHeader(this.#bytes(0, MAUD_HEADER_BYTES));
    const indexBytes = size - header.indexOffset;
    if (indexBytes <= 0) throw new PackImageError(`the clip area (${header.indexOffset} bytes) does not fit a pack of ${size}`);
    if (indexBytes > MAX_INDEX_BYTES) throw new PackImageError(`an index of ${indexBytes} bytes is more than ${MAX_INDEX_BYTES}`);
    const index = parsePackIndex(header, this.#bytes(header.indexOffset, indexBytes), crypto);
    if (index.language !== expect.language) throw new PackImageError(`the pack speaks ${index.language}, not ${expect.language}`);
    if (index.version !== expect.version) throw new PackImageError(`the pack is version ${index.version}, the release ${expect.version}`);
    if (index.sampleRate !== expect.sampleRate) throw new PackImageError(`the pack is at ${index.sampleRate} Hz, the speaker at ${expect.sampleRate}`);
    this.index = index;
  }

  /**
   * Hashes up to `reads` slices of clip data; true once every clip has checked out. Throws
   * PackImageError naming the first clip whose bytes do not match the index.
   */
  step(reads: number): boolean {
    const clips = this.index.clips;
    for (let done = 0; done < reads && this.#clip < clips.length; done++) {
      const clip = clips[this.#clip];
      const { offset, length } = clipBytes(clip);
      this.#digest ??= this.#crypto.createSha256();
      const slice = this.#buffer.subarray(0, Math.min(READ_BYTES, length - this.#position));
      this.#fill(offset + this.#position, slice);
      this.#digest.update(slice);
      this.#position += slice.length;
      if (this.#position < length) continue;
      if (!constantTimeEqual(this.#digest.digest(), clip.sha256)) throw new PackImageError(`clip "${clip.name}" does not match its hash`);
      this.#digest = undefined;
      this.#position = 0;
      this.#clip++;
    }
    return this.#clip >= clips.length;
  }

  #bytes(offset: number, length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    this.#fill(offset, bytes);
    return bytes;
  }

  #fill(offset: number, into: Uint8Array): void {
    try {
      this.#read(offset, into);
    } catch (error) {
      throw new PackImageError(`unreadable at ${offset}: ${describe(error)}`);
    }
  }
}

/** The whole check in one go; returns the index of a pack whose every clip checked out. */
export function checkPackNow(read: PackRead, size: number, crypto: Crypto, expect: PackExpectation): PackIndex {
  const check = new PackCheck(read, size, crypto, expect);
  check.step(Infinity);
  return check.index;
}
