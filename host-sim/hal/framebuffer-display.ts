/**
 * The simulator's screen: the in-memory RGB565 framebuffer at the device's resolution, drawn by
 * the same HAL calls as the ST7789, and turned into PNG for the web page, the CLI and tests.
 */
import { crc32, deflateSync } from "node:zlib";
import { MemoryDisplay } from "../../hal/memory/display";

/** RGB565 to 8-bit channels, replicating the high bits into the low ones as panels do. */
export function rgb565ToRgba(pixels: Uint16Array, out: Uint8Array | Uint8ClampedArray): void {
  for (let i = 0; i < pixels.length; i++) {
    const p = pixels[i];
    const r = (p >> 11) & 0x1f, g = (p >> 5) & 0x3f, b = p & 0x1f;
    out[i * 4] = (r << 3) | (r >> 2);
    out[i * 4 + 1] = (g << 2) | (g >> 4);
    out[i * 4 + 2] = (b << 3) | (b >> 2);
    out[i * 4 + 3] = 255;
  }
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGB PNG (filter 0 on every row, zlib-deflated): small code, fast under any runner. */
export function encodePng(width: number, height: number, pixels: Uint16Array): Buffer {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0, o = 0; y < height; y++) {
    rows[o++] = 0;
    for (let x = 0; x < width; x++) {
      const p = pixels[y * width + x];
      const r = (p >> 11) & 0x1f, g = (p >> 5) & 0x3f, b = p & 0x1f;
      rows[o++] = (r << 3) | (r >> 2);
      rows[o++] = (g << 2) | (g >> 4);
      rows[o++] = (b << 3) | (b >> 2);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // truecolour
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

export class FramebufferDisplay extends MemoryDisplay {
  onFrame: ((frame: number) => void) | undefined;

  protected override frameEnded(frame: number): void {
    this.onFrame?.(frame);
  }

  /** The screen as RGBA bytes, for decoders that take raw pixels. */
  toRgba(): Uint8ClampedArray {
    const out = new Uint8ClampedArray(this.width * this.height * 4);
    rgb565ToRgba(this.pixels, out);
    return out;
  }

  toPng(): Buffer {
    return encodePng(this.width, this.height, this.pixels);
  }
}
