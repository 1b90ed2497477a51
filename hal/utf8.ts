/** Bytes a string takes as UTF-8: NVS and QR limits are in bytes, JavaScript lengths are not. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * Writes `text` as UTF-8 into `out` from `at`, which must have room for utf8Length(text) bytes;
 * returns the offset after it. A lone surrogate is written as its own three bytes, as XS keeps it.
 * Writing in place spares the device an array per string.
 */
export function utf8EncodeInto(text: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      out[at++] = code;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      code = 0x10000 + ((code - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
    }
    if (code < 0x800) {
      out[at++] = 0xc0 | (code >> 6);
    } else if (code < 0x10000) {
      out[at++] = 0xe0 | (code >> 12);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
    } else {
      out[at++] = 0xf0 | (code >> 18);
      out[at++] = 0x80 | ((code >> 12) & 0x3f);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
    }
    out[at++] = 0x80 | (code & 0x3f);
  }
  return at;
}

/** The UTF-8 bytes of a string (utf8EncodeInto): every string round-trips through utf8Text. */
export function utf8Bytes(text: string): Uint8Array {
  const out = new Uint8Array(utf8Length(text));
  utf8EncodeInto(text, out, 0);
  return out;
}

/** The string utf8Bytes made; undefined for bytes it cannot have made. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  let text = "";
  for (let i = 0; i < bytes.length; ) {
    const b0 = bytes[i];
    const extra = b0 < 0x80 ? 0 : (b0 & 0xe0) === 0xc0 ? 1 : (b0 & 0xf0) === 0xe0 ? 2 : (b0 & 0xf8) === 0xf0 ? 3 : -1;
    if (extra < 0 || i + extra >= bytes.length) return undefined;
    let code = extra === 0 ? b0 : b0 & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const b = bytes[i + k];
      if ((b & 0xc0) !== 0x80) return undefined;
      code = (code << 6) | (b & 0x3f);
    }
    if (code < [0, 0x80, 0x800, 0x10000][extra] || code > 0x10ffff) return undefined;
    text += String.fromCodePoint(code);
    i += extra + 1;
  }
  return text;
}
