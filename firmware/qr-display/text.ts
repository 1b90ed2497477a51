/**
 * Text as 1-bit masks for Display.drawMask: the font's glyphs scaled by a whole number, so the
 * same pixels appear in the simulator and on the panel. One mask per line of text.
 */
import { maskStride } from "../../hal/display";
import { ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from "./font";

export interface Mask {
  width: number;
  height: number;
  bits: Uint8Array;
}

export function textWidth(text: string, scale: number): number {
  let count = 0;
  for (const _ of text) count++;
  return count === 0 ? 0 : (count * ADVANCE - 1) * scale;
}

export function textHeight(scale: number): number {
  return GLYPH_HEIGHT * scale;
}

/** Sets `length` bits from column `x` of one mask row. */
function setRun(bits: Uint8Array, rowStart: number, x: number, length: number): void {
  for (let col = x; col < x + length; col++) bits[rowStart + (col >> 3)] |= 0x80 >> (col & 7);
}

export function renderText(text: string, scale: number): Mask {
  const width = textWidth(text, scale);
  const height = textHeight(scale);
  const stride = maskStride(width);
  const bits = new Uint8Array(stride * height);
  // The first pixel row of each glyph row is drawn; the scale - 1 rows under it are copies.
  let left = 0;
  for (const char of text) {
    const rows = glyph(char);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      const row = rows[gy];
      if (row === 0) continue;
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) if (row & (1 << (GLYPH_WIDTH - 1 - gx))) setRun(bits, gy * scale * stride, left + gx * scale, scale);
    }
    left += ADVANCE * scale;
  }
  for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
    const first = gy * scale * stride;
    for (let dy = 1; dy < scale; dy++) bits.copyWithin(first + dy * stride, first, first + stride);
  }
  return { width, height, bits };
}

/** The longest prefix of `text` that fits `width` at `scale`, with an ellipsis when cut. */
export function fitText(text: string, scale: number, width: number): string {
  if (textWidth(text, scale) <= width) return text;
  const chars = Array.from(text);
  while (chars.length > 0 && textWidth(`${chars.join("")}\u2026`, scale) > width) chars.pop();
  return chars.length === 0 ? "" : `${chars.join("")}\u2026`;
}
