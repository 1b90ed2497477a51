/**
 * A clip area held as bytes (hal/audio.ts, ClipArea): what the in-memory and the simulator's
 * voice-pack areas hand to their audio outputs, which read the samples from it in place.
 */
import { IMA_BLOCK_BYTES, IMA_BLOCK_SAMPLES, MAUD_HEADER_BYTES, type ClipArea } from "../audio";

export class BytesClipArea implements ClipArea {
  constructor(readonly bytes: Uint8Array) {}

  get byteLength(): number {
    return this.bytes.length;
  }

  /**
   * The IMA blocks of samples `sampleOffset` to `sampleOffset + sampleCount`, as pins/audioout
   * takes them: whole blocks after the 12-byte MAUD header. A view, not a copy.
   */
  blocks(sampleOffset: number, sampleCount: number): Uint8Array {
    if (sampleOffset % IMA_BLOCK_SAMPLES !== 0 || sampleCount % IMA_BLOCK_SAMPLES !== 0 || sampleCount <= 0)
      throw new RangeError(`samples ${sampleOffset}+${sampleCount} are not whole IMA blocks`);
    const start = MAUD_HEADER_BYTES + (sampleOffset / IMA_BLOCK_SAMPLES) * IMA_BLOCK_BYTES;
    const end = start + (sampleCount / IMA_BLOCK_SAMPLES) * IMA_BLOCK_BYTES;
    if (end > this.bytes.length) throw new RangeError(`samples ${sampleOffset}+${sampleCount} pass the end of the clip area`);
    return this.bytes.subarray(start, end);
  }
}

/** The output's own area type, or a clear error for another platform's. */
export function bytesClipArea(area: ClipArea): BytesClipArea {
  if (!(area instanceof BytesClipArea)) throw new TypeError("audio: a clip area from another platform");
  return area;
}
