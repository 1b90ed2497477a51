/**
 * A strict CBOR (RFC 8949) reader and writer for the few shapes the protocol uses.
 *
 * The device parses the envelope before it can authenticate it, so the reader accepts only what
 * the protocol needs: integers, byte and text strings, arrays, maps with text keys, booleans and
 * null, all of definite length. Tags, floats, undefined and indefinite lengths are refused, as are
 * nesting deeper than `maxDepth` and lengths past the end of the input. Integers beyond 2^53 - 1
 * decode as BigInt so the caller can refuse them knowingly rather than lose precision.
 */
import { utf8EncodeInto, utf8Length } from "../../hal/utf8";
import { utf8Decode } from "./bytes";

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

/**
 * Decoded maps inherit nothing (no `toString`, no `__proto__` setter), as Object.create(null)
 * would give, but are built as ordinary objects: V8 keeps Object.create(null) objects as hash
 * tables, several hundred bytes each, and a device decodes a few maps per payment.
 */
const DecodedMap = function DecodedMap() {} as unknown as new () => CborMap;
DecodedMap.prototype = Object.create(null);

class Reader {
  offset = 0;
  items = 0;
  constructor(readonly bytes: Uint8Array, readonly limits: CborReadLimits) {}

  fail(message: string): never {
    throw new CborError(message, this.offset);
  }

  /** Steps over `count` bytes; returns where they start. */
  skip(count: number): number {
    if (count > this.bytes.length - this.offset) this.fail(`length ${count} runs past the end`);
    const from = this.offset;
    this.offset += count;
    return from;
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
      case MAJOR_BYTES: {
        const from = this.skip(this.length(info));
        return this.bytes.slice(from, this.offset);
      }
      case MAJOR_TEXT: {
        const from = this.skip(this.length(info));
        const text = utf8Decode(this.bytes, from, this.offset);
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
        const map: CborMap = new DecodedMap();
        for (let i = 0; i < count; i++) {
          const keyAt = this.offset;
          const key = this.value(depth + 1);
          if (typeof key !== "string") {
            this.offset = keyAt;
            this.fail("map keys must be text strings");
          }
          if (Object.prototype.hasOwnProperty.call(map, key)) {
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

/**
 * A byte buffer that grows by doubling. One is kept between encodings, so a message costs one
 * allocation (its exact-size copy) rather than an array per item and per string.
 */
class Writer {
  bytes = new Uint8Array(KEPT_WRITER_BYTES);
  length = 0;

  room(count: number): void {
    const needed = this.length + count;
    if (needed <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.room(1);
    this.bytes[this.length++] = value;
  }

  head(major: number, value: number): void {
    const top = major << 5;
    if (value < 24) return this.byte(top | value);
    if (value < 0x100) {
      this.byte(top | 24);
      return this.byte(value);
    }
    if (value < 0x10000) {
      this.byte(top | 25);
      return this.uint(value, 2);
    }
    if (value < 0x100000000) {
      this.byte(top | 26);
      return this.uint(value, 4);
    }
    this.byte(top | 27);
    this.uint(Math.floor(value / 0x100000000), 4);
    this.uint(value >>> 0, 4);
  }

  /** `value` big-endian in `count` bytes (count at most 4). */
  uint(value: number, count: number): void {
    this.room(count);
    for (let shift = (count - 1) * 8; shift >= 0; shift -= 8) this.bytes[this.length++] = (value >>> shift) & 0xff;
  }

  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  text(value: string): void {
    const count = utf8Length(value);
    this.head(MAJOR_TEXT, count);
    this.room(count);
    this.length = utf8EncodeInto(value, this.bytes, this.length);
  }
}

/** A writer that grew past this (a large manifest, say) is not kept: the device's RAM is small. */
const KEPT_WRITER_BYTES = 512;
let spare: Writer | undefined;

function writeValue(out: Writer, value: CborValue): void {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new RangeError(`only safe integers are written, got ${value}`);
    if (value >= 0) out.head(MAJOR_UNSIGNED, value);
    else out.head(MAJOR_NEGATIVE, -1 - value);
  } else if (typeof value === "bigint") {
    throw new RangeError("BigInt values are not written");
  } else if (typeof value === "string") {
    out.text(value);
  } else if (typeof value === "boolean") {
    out.byte((MAJOR_SIMPLE << 5) | (value ? SIMPLE_TRUE : SIMPLE_FALSE));
  } else if (value === null) {
    out.byte((MAJOR_SIMPLE << 5) | SIMPLE_NULL);
  } else if (value instanceof Uint8Array) {
    out.head(MAJOR_BYTES, value.length);
    out.raw(value);
  } else if (Array.isArray(value)) {
    out.head(MAJOR_ARRAY, value.length);
    for (const item of value) writeValue(out, item);
  } else {
    const keys = Object.keys(value);
    out.head(MAJOR_MAP, keys.length);
    for (const key of keys) {
      out.text(key);
      writeValue(out, value[key]);
    }
  }
}

/** Encodes with the shortest heads (RFC 8949 preferred serialization), keys in insertion order. */
export function encodeCbor(value: CborValue): Uint8Array {
  // Taken, not shared: an encoding that throws half way leaves nothing behind for the next.
  const out = spare ?? new Writer();
  spare = undefined;
  out.length = 0;
  writeValue(out, value);
  const encoded = out.bytes.slice(0, out.length);
  if (out.bytes.length <= KEPT_WRITER_BYTES) spare = out;
  return encoded;
}
