/**
 * A QR Code encoder (ISO/IEC 18004:2015) in plain TypeScript, with the semantics of the device's
 * native `qrcode` module (Nayuki's qrcodegen): the whole text in one segment of the narrowest
 * mode that holds it (numeric, alphanumeric, else byte as UTF-8), the smallest version that fits
 * at error correction M, the level then raised to Q or H while the version stays, and the mask
 * with the lowest penalty. It lets the QR display's firmware run whole on XS and in memory.
 * Written for this project from the standard; the section numbers cite ISO/IEC 18004:2015.
 */
import type { QrSymbolView } from "../display";
import { QrTooLargeError, type QrEncoder } from "../qr";

export type Ecl = "L" | "M" | "Q" | "H";

const ECL_INDEX: Record<Ecl, number> = { L: 0, M: 1, Q: 2, H: 3 };
/** Format information's two bits per level (section 7.9.1, Table 12). */
const ECL_FORMAT_BITS = [1, 0, 3, 2];

/** Error correction codewords per block, by level then version (section 7.5.1, Table 9). */
const ECC_PER_BLOCK = [
  [-1, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
  [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
  [-1, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
  [-1, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
];

/** Error correction blocks, by level then version (section 7.5.1, Table 9). */
const BLOCKS = [
  [-1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
  [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
  [-1, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
  [-1, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
];

/** Characters of alphanumeric mode, in value order (section 7.4.5, Table 5). */
const ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

interface Mode {
  indicator: number;
  /** Character count bits for versions 1-9, 10-26, 27-40 (section 7.4.1, Table 3). */
  countBits: [number, number, number];
}

const NUMERIC: Mode = { indicator: 0x1, countBits: [10, 12, 14] };
const ALNUM: Mode = { indicator: 0x2, countBits: [9, 11, 13] };
const BYTE: Mode = { indicator: 0x4, countBits: [8, 16, 16] };

/** Penalty weights (section 7.8.3, Table 11). */
const N1 = 3, N2 = 3, N3 = 40, N4 = 10;

class Bits {
  readonly bits: number[] = [];
  append(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) this.bits.push((value >>> i) & 1);
  }
}

function utf8(text: string): number[] {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  }
  return out;
}

interface Segment {
  mode: Mode;
  count: number;
  data: Bits;
}

/** The whole input as one segment of the narrowest mode that holds it. */
function segmentFor(input: string | Uint8Array): Segment {
  const data = new Bits();
  if (typeof input === "string" && /^[0-9]*$/.test(input)) {
    for (let i = 0; i < input.length; i += 3) {
      const group = input.slice(i, i + 3);
      data.append(Number(group), group.length * 3 + 1);
    }
    return { mode: NUMERIC, count: input.length, data };
  }
  if (typeof input === "string" && [...input].every((c) => ALPHANUMERIC.indexOf(c) >= 0)) {
    for (let i = 0; i + 1 < input.length; i += 2) data.append(ALPHANUMERIC.indexOf(input[i]) * 45 + ALPHANUMERIC.indexOf(input[i + 1]), 11);
    if (input.length % 2 === 1) data.append(ALPHANUMERIC.indexOf(input[input.length - 1]), 6);
    return { mode: ALNUM, count: input.length, data };
  }
  const bytes = typeof input === "string" ? utf8(input) : Array.from(input);
  for (const byte of bytes) data.append(byte, 8);
  return { mode: BYTE, count: bytes.length, data };
}

function countBits(mode: Mode, version: number): number {
  return mode.countBits[version <= 9 ? 0 : version <= 26 ? 1 : 2];
}

/** Modules left for data and error correction once function patterns are drawn. */
function rawDataModules(version: number): number {
  let result = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const align = Math.floor(version / 7) + 2;
    result -= (25 * align - 10) * align - 55;
    if (version >= 7) result -= 36;
  }
  return result;
}

export function dataCodewords(version: number, ecl: Ecl): number {
  const e = ECL_INDEX[ecl];
  return Math.floor(rawDataModules(version) / 8) - ECC_PER_BLOCK[e][version] * BLOCKS[e][version];
}

function segmentBits(segment: Segment, version: number): number | undefined {
  if (segment.count >= 1 << countBits(segment.mode, version)) return undefined;
  return 4 + countBits(segment.mode, version) + segment.data.bits.length;
}

// GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (section 7.5.2).
function gfMultiply(x: number, y: number): number {
  let z = 0;
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z & 0xff;
}

function rsDivisor(degree: number): number[] {
  const result = new Array<number>(degree).fill(0);
  result[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < result.length; j++) {
      result[j] = gfMultiply(result[j], root);
      if (j + 1 < result.length) result[j] ^= result[j + 1];
    }
    root = gfMultiply(root, 0x02);
  }
  return result;
}

/** Reed-Solomon error correction codewords of `data` (section 7.5.2). */
export function reedSolomon(data: readonly number[], degree: number): number[] {
  const divisor = rsDivisor(degree);
  const result = new Array<number>(degree).fill(0);
  for (const byte of data) {
    const factor = byte ^ (result.shift() as number);
    result.push(0);
    for (let i = 0; i < divisor.length; i++) result[i] ^= gfMultiply(divisor[i], factor);
  }
  return result;
}

/** Data codewords: mode, count, data, terminator, padding (section 7.4.10). */
export function dataCodewordsFor(input: string | Uint8Array, version: number, ecl: Ecl): number[] {
  const segment = segmentFor(input);
  const capacity = dataCodewords(version, ecl) * 8;
  const bits = new Bits();
  bits.append(segment.mode.indicator, 4);
  bits.append(segment.count, countBits(segment.mode, version));
  for (const bit of segment.data.bits) bits.bits.push(bit);
  if (bits.bits.length > capacity) throw new RangeError(`data of ${bits.bits.length} bits does not fit version ${version}-${ecl}`);
  bits.append(0, Math.min(4, capacity - bits.bits.length));
  bits.append(0, (8 - (bits.bits.length % 8)) % 8);
  for (let pad = 0xec; bits.bits.length < capacity; pad ^= 0xec ^ 0x11) bits.append(pad, 8);
  const out: number[] = [];
  for (let i = 0; i < bits.bits.length; i += 8) {
    let byte = 0;
    for (let j = 0; j < 8; j++) byte = (byte << 1) | bits.bits[i + j];
    out.push(byte);
  }
  return out;
}

/** Splits into blocks, adds each block's error correction, interleaves (section 7.6). */
function interleaved(data: readonly number[], version: number, ecl: Ecl): number[] {
  const e = ECL_INDEX[ecl];
  const numBlocks = BLOCKS[e][version];
  const eccLength = ECC_PER_BLOCK[e][version];
  const rawCodewords = Math.floor(rawDataModules(version) / 8);
  const shortBlocks = numBlocks - (rawCodewords % numBlocks);
  const shortLength = Math.floor(rawCodewords / numBlocks);
  const blocks: number[][] = [];
  for (let i = 0, k = 0; i < numBlocks; i++) {
    const dataLength = shortLength - eccLength + (i < shortBlocks ? 0 : 1);
    const block = data.slice(k, k + dataLength);
    k += dataLength;
    const ecc = reedSolomon(block, eccLength);
    if (i < shortBlocks) block.push(0); // placeholder so every block has the same length
    blocks.push([...block, ...ecc]);
  }
  const out: number[] = [];
  for (let i = 0; i < blocks[0].length; i++) {
    for (let j = 0; j < blocks.length; j++) {
      if (i !== shortLength - eccLength || j >= shortBlocks) out.push(blocks[j][i]);
    }
  }
  return out;
}

class QrMatrix {
  readonly size: number;
  readonly modules: Uint8Array;
  readonly isFunction: Uint8Array;

  constructor(readonly version: number) {
    this.size = version * 4 + 17;
    this.modules = new Uint8Array(this.size * this.size);
    this.isFunction = new Uint8Array(this.size * this.size);
  }

  get(x: number, y: number): number {
    return this.modules[y * this.size + x];
  }

  setFunction(x: number, y: number, dark: boolean): void {
    this.modules[y * this.size + x] = dark ? 1 : 0;
    this.isFunction[y * this.size + x] = 1;
  }

  alignmentPositions(): number[] {
    if (this.version === 1) return [];
    const count = Math.floor(this.version / 7) + 2;
    const step = this.version === 32 ? 26 : Math.ceil((this.version * 4 + 4) / (count * 2 - 2)) * 2;
    const result = [6];
    for (let pos = this.size - 7; result.length < count; pos -= step) result.splice(1, 0, pos);
    return result;
  }

  drawFunctionPatterns(ecl: Ecl): void {
    const { size } = this;
    for (let i = 0; i < size; i++) {
      this.setFunction(6, i, i % 2 === 0);
      this.setFunction(i, 6, i % 2 === 0);
    }
    for (const [cx, cy] of [[3, 3], [size - 4, 3], [3, size - 4]]) {
      for (let dy = -4; dy <= 4; dy++) {
        for (let dx = -4; dx <= 4; dx++) {
          const x = cx + dx, y = cy + dy;
          if (x < 0 || x >= size || y < 0 || y >= size) continue;
          const distance = Math.max(Math.abs(dx), Math.abs(dy));
          this.setFunction(x, y, distance !== 2 && distance !== 4);
        }
      }
    }
    const positions = this.alignmentPositions();
    const last = positions.length - 1;
    for (let i = 0; i <= last; i++) {
      for (let j = 0; j <= last; j++) {
        if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) continue;
        for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) this.setFunction(positions[i] + dx, positions[j] + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    }
    this.drawFormat(ecl, 0);
    this.drawVersion();
  }

  /** Format information: level and mask, BCH(15,5), XOR 0x5412 (section 7.9). */
  drawFormat(ecl: Ecl, mask: number): void {
    const data = (ECL_FORMAT_BITS[ECL_INDEX[ecl]] << 3) | mask;
    let rem = data;
    for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    const bits = ((data << 10) | rem) ^ 0x5412;
    const bit = (i: number) => ((bits >>> i) & 1) === 1;
    const { size } = this;
    for (let i = 0; i <= 5; i++) this.setFunction(8, i, bit(i));
    this.setFunction(8, 7, bit(6));
    this.setFunction(8, 8, bit(7));
    this.setFunction(7, 8, bit(8));
    for (let i = 9; i < 15; i++) this.setFunction(14 - i, 8, bit(i));
    for (let i = 0; i < 8; i++) this.setFunction(size - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) this.setFunction(8, size - 15 + i, bit(i));
    this.setFunction(8, size - 8, true);
  }

  /** Version information for versions 7 and up, BCH(18,6) (section 7.10). */
  drawVersion(): void {
    if (this.version < 7) return;
    let rem = this.version;
    for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const bits = (this.version << 12) | rem;
    for (let i = 0; i < 18; i++) {
      const dark = ((bits >>> i) & 1) === 1;
      const a = this.size - 11 + (i % 3), b = Math.floor(i / 3);
      this.setFunction(a, b, dark);
      this.setFunction(b, a, dark);
    }
  }

  /** Places codewords in the two-column zigzag from the bottom right (section 7.7.3). */
  drawCodewords(codewords: readonly number[]): void {
    const { size } = this;
    let i = 0;
    for (let right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (let vertical = 0; vertical < size; vertical++) {
        for (let j = 0; j < 2; j++) {
          const x = right - j;
          const upward = ((right + 1) & 2) === 0;
          const y = upward ? size - 1 - vertical : vertical;
          if (!this.isFunction[y * size + x] && i < codewords.length * 8) {
            this.modules[y * size + x] = (codewords[i >>> 3] >>> (7 - (i & 7))) & 1;
            i++;
          }
        }
      }
    }
  }

  /** XORs a data mask pattern over the non-function modules (section 7.8.2, Table 10). */
  applyMask(mask: number): void {
    const { size } = this;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let invert: boolean;
        switch (mask) {
          case 0: invert = (x + y) % 2 === 0; break;
          case 1: invert = y % 2 === 0; break;
          case 2: invert = x % 3 === 0; break;
          case 3: invert = (x + y) % 3 === 0; break;
          case 4: invert = (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0; break;
          case 5: invert = ((x * y) % 2) + ((x * y) % 3) === 0; break;
          case 6: invert = (((x * y) % 2) + ((x * y) % 3)) % 2 === 0; break;
          default: invert = (((x + y) % 2) + ((x * y) % 3)) % 2 === 0;
        }
        if (invert && !this.isFunction[y * size + x]) this.modules[y * size + x] ^= 1;
      }
    }
  }

  /** The mask penalty of section 7.8.3, computed as Nayuki's qrcodegen does. */
  penalty(): number {
    const { size } = this;
    let result = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let a = 0; a < size; a++) {
        let runColor = 0;
        let run = 0;
        const history = [0, 0, 0, 0, 0, 0, 0];
        for (let b = 0; b < size; b++) {
          const color = pass === 0 ? this.get(b, a) : this.get(a, b);
          if (color === runColor) {
            run++;
            if (run === 5) result += N1;
            else if (run > 5) result++;
          } else {
            this.addHistory(run, history);
            if (!runColor) result += this.finderLike(history) * N3;
            runColor = color;
            run = 1;
          }
        }
        if (runColor) {
          this.addHistory(run, history);
          run = 0;
        }
        this.addHistory(run + size, history);
        result += this.finderLike(history) * N3;
      }
    }
    for (let y = 0; y < size - 1; y++) {
      for (let x = 0; x < size - 1; x++) {
        const color = this.get(x, y);
        if (color === this.get(x + 1, y) && color === this.get(x, y + 1) && color === this.get(x + 1, y + 1)) result += N2;
      }
    }
    let dark = 0;
    for (let i = 0; i < this.modules.length; i++) dark += this.modules[i];
    const total = size * size;
    result += (Math.ceil(Math.abs(dark * 20 - total * 10) / total) - 1) * N4;
    return result;
  }

  private addHistory(run: number, history: number[]): void {
    if (history[0] === 0) run += this.size; // the light border before the first run
    history.pop();
    history.unshift(run);
  }

  private finderLike(history: readonly number[]): number {
    const n = history[1];
    const core = n > 0 && history[2] === n && history[3] === n * 3 && history[4] === n && history[5] === n;
    return (core && history[0] >= n * 4 && history[6] >= n ? 1 : 0) + (core && history[6] >= n * 4 && history[0] >= n ? 1 : 0);
  }
}

export interface EncodeOptions {
  maxVersion?: number;
  /** Lowest level accepted; raised while the version stays the same (boost). */
  ecl?: Ecl;
  boost?: boolean;
  /** 0-7; chosen by penalty when absent. */
  mask?: number;
}

export interface EncodedSymbol extends QrSymbolView {
  version: number;
  ecl: Ecl;
  mask: number;
}

export function encodeQr(input: string | Uint8Array, options: EncodeOptions = {}): EncodedSymbol {
  const maxVersion = options.maxVersion ?? 40;
  if (!Number.isInteger(maxVersion) || maxVersion < 1 || maxVersion > 40) throw new RangeError(`maxVersion must be 1 to 40, got ${maxVersion}`);
  const segment = segmentFor(input);
  let ecl: Ecl = options.ecl ?? "M";
  let version = 1;
  let used: number | undefined;
  for (; version <= maxVersion; version++) {
    used = segmentBits(segment, version);
    if (used !== undefined && used <= dataCodewords(version, ecl) * 8) break;
  }
  if (version > maxVersion || used === undefined) throw new QrTooLargeError(typeof input === "string" ? utf8(input).length : input.length, maxVersion);
  if (options.boost ?? true) for (const higher of ["M", "Q", "H"] as const) if (ECL_INDEX[higher] > ECL_INDEX[ecl] && used <= dataCodewords(version, higher) * 8) ecl = higher;
  const symbol = new QrMatrix(version);
  symbol.drawFunctionPatterns(ecl);
  symbol.drawCodewords(interleaved(dataCodewordsFor(input, version, ecl), version, ecl));
  let mask = options.mask;
  if (mask === undefined) {
    let best = Infinity;
    for (let candidate = 0; candidate < 8; candidate++) {
      symbol.applyMask(candidate);
      symbol.drawFormat(ecl, candidate);
      const penalty = symbol.penalty();
      if (penalty < best) {
        best = penalty;
        mask = candidate;
      }
      symbol.applyMask(candidate); // XOR again: undone
    }
  }
  symbol.applyMask(mask as number);
  symbol.drawFormat(ecl, mask as number);
  return { size: symbol.size, modules: symbol.modules, version, ecl, mask: mask as number };
}

/** The in-memory HAL's QrEncoder. */
export class MemoryQrEncoder implements QrEncoder {
  encode(input: string | Uint8Array, maxVersion = 40): QrSymbolView {
    const { size, modules } = encodeQr(input, { maxVersion });
    return { size, modules };
  }
}
