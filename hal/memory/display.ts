/**
 * A display in memory: an RGB565 framebuffer of any resolution, drawn by the same HAL calls as
 * the ST7789, so tests (on XS or Node) and the simulator can read back every pixel.
 */
import { maskStride, type Display, type QrSymbolView } from "../display";

export interface FrameRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

export class MemoryDisplay implements Display {
  readonly pixels: Uint16Array;
  #frames = 0;
  #region: FrameRegion | undefined;
  #drawing = false;

  constructor(readonly width: number, readonly height: number) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`display size ${width}x${height}`);
    this.pixels = new Uint16Array(width * height);
  }

  /** Frames completed (end() calls). */
  get frames(): number {
    return this.#frames;
  }

  /** The region of the last frame; undefined for a full-screen frame. */
  get lastRegion(): FrameRegion | undefined {
    return this.#region;
  }

  begin(x?: number, y?: number, width?: number, height?: number): void {
    if (this.#drawing) throw new Error("display: begin() while a frame is open");
    this.#drawing = true;
    this.#region = x === undefined ? undefined : { x, y: y ?? 0, width: width ?? this.width - x, height: height ?? this.height - (y ?? 0) };
  }

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

  drawMask(x: number, y: number, width: number, height: number, bits: Uint8Array, color: number): void {
    const stride = maskStride(width);
    if (bits.length < stride * height) throw new Error(`mask of ${width}x${height} needs ${stride * height} bytes, got ${bits.length}`);
    for (let row = 0; row < height; row++) {
      const ty = y + row;
      if (ty < 0 || ty >= this.height) continue;
      const base = row * stride;
      for (let col = 0; col < width; col++) {
        if (!(bits[base + (col >> 3)] & (0x80 >> (col & 7)))) continue;
        const tx = x + col;
        if (tx >= 0 && tx < this.width) this.pixels[ty * this.width + tx] = color;
      }
    }
  }

  drawQr(symbol: QrSymbolView, x: number, y: number, scale: number, dark: number, light: number): void {
    for (let my = 0; my < symbol.size; my++)
      for (let mx = 0; mx < symbol.size; mx++)
        this.fillRect(x + mx * scale, y + my * scale, scale, scale, symbol.modules[my * symbol.size + mx] ? dark : light);
  }

  end(): void {
    if (!this.#drawing) throw new Error("display: end() without begin()");
    this.#drawing = false;
    this.#frames++;
    this.frameEnded(this.#frames);
  }

  /** Called after each frame; the simulator overrides it to publish frames. */
  protected frameEnded(_frame: number): void {}
}
