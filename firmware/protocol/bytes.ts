/** Byte helpers the XS runtime lacks as globals on the device (no TextEncoder there). */
import { utf8Bytes } from "../../hal/utf8";

/** UTF-8 bytes of `text`, a lone surrogate as its own three bytes: the HAL's one UTF-8 writer. */
export const utf8Encode = utf8Bytes;

/** Longest ASCII run turned into a string by one call (well under any engine's argument limit). */
const ASCII_RUN = 1024;

/**
 * Strict UTF-8 decoding of `bytes` from `start` to `end`: overlong forms, surrogates and
 * truncated sequences return undefined.
 */
export function utf8Decode(bytes: Uint8Array, start = 0, end = bytes.length): string | undefined {
  let text = "";
  for (let i = start; i < end; ) {
    const b0 = bytes[i];
    if (b0 < 0x80) {
      // Protocol text is mostly ASCII: a whole run at once, not a string per character.
      let run = i + 1;
      while (run < end && bytes[run] < 0x80 && run - i < ASCII_RUN) run++;
      text += String.fromCharCode.apply(null, bytes.subarray(i, run) as unknown as number[]);
      i = run;
      continue;
    }
    let code: number;
    let extra: number;
    let min: number;
    if ((b0 & 0xe0) === 0xc0) {
      code = b0 & 0x1f;
      extra = 1;
      min = 0x80;
    } else if ((b0 & 0xf0) === 0xe0) {
      code = b0 & 0x0f;
      extra = 2;
      min = 0x800;
    } else if ((b0 & 0xf8) === 0xf0) {
      code = b0 & 0x07;
      extra = 3;
      min = 0x10000;
    } else return undefined;
    if (i + extra >= end) return undefined;
    for (let k = 1; k <= extra; k++) {
      const b = bytes[i + k];
      if ((b & 0xc0) !== 0x80) return undefined;
      code = (code << 6) | (b & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
    text += String.fromCodePoint(code);
    i += extra + 1;
  }
  return text;
}

export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (let i = 0; i < bytes.length; i++) hex += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return hex;
}

export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** Compares in time that depends only on the length, so a tag cannot be guessed byte by byte. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
