/**
 * The simulator's screen: the in-memory RGB565 framebuffer at the device's resolution, drawn by
 * the same HAL calls as the ST7789, and turned into PNG for the web page, the CLI and tests.
 */
import { PNG } from "pngjs";
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
    const png = new PNG({ width: this.width, height: this.height });
    rgb565ToRgba(this.pixels, png.data);
    return PNG.sync.write(png);
  }
}
