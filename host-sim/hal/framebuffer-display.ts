/**
 * The simulator's screen: an RGB565 framebuffer of the device's resolution, drawn by the same
 * HAL calls as the ST7789, and turned into PNG for the web page and tests.
 */
import { PNG } from "pngjs";
import type { Display, QrSymbolView } from "../../hal/display";

export class FramebufferDisplay implements Display {
  readonly pixels: Uint16Array;
  #frames = 0;
  onFrame: ((frame: number) => void) | undefined;

  constructor(readonly width: number, readonly height: number) {
    this.pixels = new Uint16Array(width * height);
  }

  get frames(): number {
    return this.#frames;
  }

  begin(): void {}

  fillRect(x: number, y: number, width: number, height: number, color: number): void {
    const x0 = Math.max(0, x), y0 = Math.max(0, y);
    const x1 = Math.min(this.width, x + width), y1 = Math.min(this.height, y + height);
    for (let row = y0; row < y1; row++) this.pixels.fill(color, row * this.width + x0, row * this.width + x1);
  }

  writeRegion(x: number, y: number, width: number, height: number, pixels: Uint16Array): void {
    if (pixels.length !== width * height) throw new Error(`region of ${width}x${height} needs ${width * height} pixels, got ${pixels.length}`);
    for (let row = 0; row < height; row++) {
      const target = y + row;
      if (target < 0 || target >= this.height) continue;
      for (let col = 0; col < width; col++) {
        const tx = x + col;
        if (tx >= 0 && tx < this.width) this.pixels[target * this.width + tx] = pixels[row * width + col];
      }
    }
  }

  drawQr(symbol: QrSymbolView, x: number, y: number, scale: number, dark: number, light: number): void {
    for (let my = 0; my < symbol.size; my++)
      for (let mx = 0; mx < symbol.size; mx++)
        this.fillRect(x + mx * scale, y + my * scale, scale, scale, symbol.modules[my * symbol.size + mx] ? dark : light);
  }

  end(): void {
    this.#frames++;
    this.onFrame?.(this.#frames);
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    for (let i = 0; i < this.pixels.length; i++) {
      const p = this.pixels[i];
      const r = (p >> 11) & 0x1f, g = (p >> 5) & 0x3f, b = p & 0x1f;
      png.data[i * 4] = (r << 3) | (r >> 2);
      png.data[i * 4 + 1] = (g << 2) | (g >> 4);
      png.data[i * 4 + 2] = (b << 3) | (b >> 2);
      png.data[i * 4 + 3] = 255;
    }
    return PNG.sync.write(png);
  }
}
