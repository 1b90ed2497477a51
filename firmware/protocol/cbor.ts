/**
 * A strict CBOR (RFC 8949) reader and writer for the few shapes the protocol uses.
 *
 * The device parses the envelope before it can authenticate it, so the reader accepts only what
 * the protocol needs: integers, byte and text strings, arrays, maps with text keys, booleans and
 * null, all of definite length. Tags, floats, undefined and indefinite lengths are refused, as are
 * nesting deeper than `maxDepth` and lengths past the end of the input. Integers beyond 2^53 - 1
 * decode as BigInt so the caller can refuse them knowingly rather than lose precision.
 */
import { utf8Decode, utf8Encode } from "./bytes";

export type CborValue = number | bigint | string | boolean | null | Uint8Array | CborValue[] | CborMap;
export interface CborMap {
  [key: string]: CborValue;
}

export class CborError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = "CborError";
  }
}

export interface CborReadLimits {
  maxDepth: number;
  maxItems: number;
}

const DEFAULT_LIMITS: CborReadLimits = { maxDepth: 4, maxItems: 64 };

const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_SIMPLE = 7;
const SIMPLE_FALSE = 20;
const SIMPLE_TRUE = 21;
const SIMPLE_NULL = 22;

class Reader {
  offset = 0;
  items = 0;
  constructor(readonly bytes: Uint8Array, readonly limits: CborReadLimits) {}

  fail(message: string): never {
    throw new CborError(message, this.offset);
  }

  take(count: number): Uint8Array {
    if (count > this.bytes.length - this.offset) this.fail(`length ${count} runs past the end`);
    const slice = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }

  byte(): number {
    if (this.offset >= this.bytes.length) this.fail("unexpected end of input");
    return this.bytes[this.offset++];
  }

  /** The argument of a head: a number when it is safe, a BigInt when it is not. */
  argument(info: number): number | bigint {
    if (info < 24) return info;
    if (info === 24) return this.byte();
    if (info === 25) return (this.byte() << 8) | this.byte();
    if (info === 26) return ((this.byte() << 24) >>> 0) + (this.byte() << 16) + (this.byte() << 8) + this.byte();
    if (info === 27) {
      let value = 0n;
      for (let i = 0; i < 8; i++) value = (value << 8n) | BigInt(this.byte());
      return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    }
    if (info === 31) this.fail("indefinite lengths are not accepted");
    return this.fail(`reserved additional information ${info}`);
  }

  length(info: number): number {
    const value = this.argument(info);
    if (typeof value === "bigint" || value > this.bytes.length - this.offset)
      this.fail(`declared length ${value} runs past the end`);
    return value as number;
  }

  value(depth: number): CborValue {
    if (++this.items > this.limits.maxItems) this.fail(`more than ${this.limits.maxItems} items`);
    const start = this.offset;
    const head = this.byte();
    const major = head >> 5;
    const info = head & 0x1f;
    switch (major) {
      case MAJOR_UNSIGNED:
        return this.argument(info);
      case MAJOR_NEGATIVE: {
        const value = this.argument(info);
        return typeof value === "bigint" ? -1n - value : value === Number.MAX_SAFE_INTEGER ? -1n - BigInt(value) : -1 - value;
      }
      case MAJOR_BYTES:
        return this.take(this.length(info)).slice();
      case MAJOR_TEXT: {
        const text = utf8Decode(this.take(this.length(info)));
        if (text === undefined) {
          this.offset = start;
          this.fail("text string is not valid UTF-8");
        }
        return text;
      }
      case MAJOR_ARRAY: {
        if (depth >= this.limits.maxDepth) this.fail(`nesting deeper than ${this.limits.maxDepth}`);
        const count = this.length(info);
        const array: CborValue[] = [];
        for (let i = 0; i < count; i++) array.push(this.value(depth + 1));
        return array;
      }
      case MAJOR_MAP: {
        if (depth >= this.limits.maxDepth) this.fail(`nesting deeper than ${this.limits.maxDepth}`);
        const count = this.length(info);
        const map: CborMap = Object.create(null);
        for (let i = 0; i < count; i++) {
          const keyAt = this.offset;
          const key = this.value(depth + 1);
          if (typeof key !== "string") {
            this.offset = keyAt;
            this.fail("map keys must be text strings");
          }
          if (key in map) {
            this.offset = keyAt;
            this.fail(`duplicate map key ${JSON.stringify(key)}`);
          }
          map[key] = this.value(depth + 1);
        }
        return map;
      }
      case MAJOR_SIMPLE:
        if (info === SIMPLE_FALSE) return false;
        if (info === SIMPLE_TRUE) return true;
        if (info === SIMPLE_NULL) return null;
        this.offset = start;
        return this.fail(info >= 25 && info <= 27 ? "floating-point values are not accepted" : `simple value ${info} is not accepted`);
      default:
        this.offset = start;
        return this.fail("tags are not accepted");
    }
  }
}

/** Decodes exactly one CBOR item that spans all of `bytes`. Throws CborError. */
export function decodeCbor(bytes: Uint8Array, limits: CborReadLimits = DEFAULT_LIMITS): CborValue {
  const reader = new Reader(bytes, limits);
  const value = reader.value(0);
  if (reader.offset !== bytes.length) reader.fail("trailing bytes after the item");
  return value;
}

export function isCborMap(value: CborValue): value is CborMap {
  return typeof value === "object" && value !== null && !(value instanceof Uint8Array) && !Array.isArray(value);
}

function writeHead(out: number[], major: number, value: number): void {
  const top = major << 5;
  if (value < 24) out.push(top | value);
  else if (value < 0x100) out.push(top | 24, value);
  else if (value < 0x10000) out.push(top | 25, value >> 8, value & 0xff);
  else if (value < 0x100000000) out.push(top | 26, (value >>> 24) & 0xff, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
  else {
    const high = Math.floor(value / 0x100000000);
    const low = value >>> 0;
    out.push(top | 27, (high >>> 24) & 0xff, (high >> 16) & 0xff, (high >> 8) & 0xff, high & 0xff);
    out.push((low >>> 24) & 0xff, (low >> 16) & 0xff, (low >> 8) & 0xff, low & 0xff);
  }
}

function writeValue(out: number[], value: CborValue): void {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new RangeError(`only safe integers are written, got ${value}`);
    if (value >= 0) writeHead(out, MAJOR_UNSIGNED, value);
    else writeHead(out, MAJOR_NEGATIVE, -1 - value);
  } else if (typeof value === "bigint") {
    throw new RangeError("BigInt values are not written");
  } else if (typeof value === "string") {
    const bytes = utf8Encode(value);
    writeHead(out, MAJOR_TEXT, bytes.length);
    for (let i = 0; i < bytes.length; i++) out.push(bytes[i]);
  } else if (typeof value === "boolean") {
    out.push((MAJOR_SIMPLE << 5) | (value ? SIMPLE_TRUE : SIMPLE_FALSE));
  } else if (value === null) {
    out.push((MAJOR_SIMPLE << 5) | SIMPLE_NULL);
  } else if (value instanceof Uint8Array) {
    writeHead(out, MAJOR_BYTES, value.length);
    for (let i = 0; i < value.length; i++) out.push(value[i]);
  } else if (Array.isArray(value)) {
    writeHead(out, MAJOR_ARRAY, value.length);
    for (const item of value) writeValue(out, item);
  } else {
    const keys = Object.keys(value);
    writeHead(out, MAJOR_MAP, keys.length);
    for (const key of keys) {
      writeValue(out, key);
      writeValue(out, value[key]);
    }
  }
}

/** Encodes with the shortest heads (RFC 8949 preferred serialization), keys in insertion order. */
export function encodeCbor(value: CborValue): Uint8Array {
  const out: number[] = [];
  writeValue(out, value);
  return Uint8Array.from(out);
}
