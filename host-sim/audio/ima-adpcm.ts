/**
 * IMA ADPCM (the IMA Digital Audio Focus and Technical Working Groups' recommended practice,
 * 1992, as in Microsoft's WAVE_FORMAT_IMA_ADPCM), in the block layout Moddable's MAUD resources
 * and pins/audioout use for mono: blocks of 68 bytes, each a 4-byte state (the first sample as a
 * signed 16-bit little-endian number, the step index, 0) and 64 bytes of 4-bit codes, low nibble
 * first, for 129 samples. Each block starts from its own state, so any run of whole blocks plays.
 */
import { IMA_BLOCK_BYTES, IMA_BLOCK_SAMPLES } from "../../hal/audio";

const INDEX_CHANGE = [-1, -1, -1, -1, 2, 4, 6, 8];
const STEPS = [
  7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97, 107, 118, 130, 143, 157, 173, 190, 209, 230,
  253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796, 876, 963, 1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327,
  3660, 4026, 4428, 4871, 5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794,
  32767,
];

function clampSample(value: number): number {
  return value > 32767 ? 32767 : value < -32768 ? -32768 : value;
}

function clampIndex(value: number): number {
  return value < 0 ? 0 : value > 88 ? 88 : value;
}

/** The change a 4-bit code makes at a step size, as the decoder computes it (shifts, not a product). */
function difference(code: number, step: number): number {
  let diff = step >> 3;
  if (code & 4) diff += step;
  if (code & 2) diff += step >> 1;
  if (code & 1) diff += step >> 2;
  return code & 8 ? -diff : diff;
}

/** Whole blocks for `samples`; the last block is filled out with silence. */
export function encodeIma(samples: Int16Array): Uint8Array {
  const blocks = Math.ceil(samples.length / IMA_BLOCK_SAMPLES);
  const out = new Uint8Array(blocks * IMA_BLOCK_BYTES);
  let index = 0;
  for (let b = 0; b < blocks; b++) {
    const base = b * IMA_BLOCK_SAMPLES;
    const at = (i: number) => (base + i < samples.length ? samples[base + i] : 0);
    const block = out.subarray(b * IMA_BLOCK_BYTES, (b + 1) * IMA_BLOCK_BYTES);
    let predicted = at(0);
    block[0] = predicted & 0xff;
    block[1] = (predicted >> 8) & 0xff;
    block[2] = index;
    for (let i = 1; i < IMA_BLOCK_SAMPLES; i++) {
      const step = STEPS[index];
      let diff = at(i) - predicted;
      let code = 0;
      if (diff < 0) {
        code = 8;
        diff = -diff;
      }
      // Three bits of magnitude, each a halving of the step, as the decoder adds them back.
      if (diff >= step) {
        code |= 4;
        diff -= step;
      }
      if (diff >= step >> 1) {
        code |= 2;
        diff -= step >> 1;
      }
      if (diff >= step >> 2) code |= 1;
      predicted = clampSample(predicted + difference(code, step));
      index = clampIndex(index + INDEX_CHANGE[code & 7]);
      const byte = 4 + ((i - 1) >> 1);
      block[byte] |= (i - 1) & 1 ? code << 4 : code;
    }
  }
  return out;
}

/** Every sample of whole blocks. */
export function decodeIma(blocks: Uint8Array): Int16Array {
  if (blocks.length % IMA_BLOCK_BYTES !== 0) throw new RangeError(`${blocks.length} bytes are not whole IMA blocks of ${IMA_BLOCK_BYTES}`);
  const count = blocks.length / IMA_BLOCK_BYTES;
  const out = new Int16Array(count * IMA_BLOCK_SAMPLES);
  for (let b = 0; b < count; b++) {
    const block = blocks.subarray(b * IMA_BLOCK_BYTES, (b + 1) * IMA_BLOCK_BYTES);
    let predicted = (block[0] | (block[1] << 8)) << 16 >> 16;
    let index = clampIndex(block[2]);
    const base = b * IMA_BLOCK_SAMPLES;
    out[base] = predicted;
    for (let i = 1; i < IMA_BLOCK_SAMPLES; i++) {
      const byte = block[4 + ((i - 1) >> 1)];
      const code = (i - 1) & 1 ? byte >> 4 : byte & 0x0f;
      predicted = clampSample(predicted + difference(code, STEPS[index]));
      index = clampIndex(index + INDEX_CHANGE[code & 7]);
      out[base + i] = predicted;
    }
  }
  return out;
}
