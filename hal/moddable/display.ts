/**
 * The QR display's ST7789 (240x320, RGB565) through Commodetto's Poco renderer onto the
 * display driver's PixelsOut, which the Moddable runtime installs as the global `screen`
 * (config.screen = "st7789" on ESP32; the simulator's screen on the desktop).
 * Needs: "commodetto/Poco", "commodetto/Bitmap", the pocoqrcode extension
 * ($(MODULES)/commodetto/qrcode/manifest.json) and a display driver ($(MODULES)/drivers/st7789).
 */
import Poco from "commodetto/Poco";
import Bitmap from "commodetto/Bitmap";
import type PixelsOut from "commodetto/PixelsOut";
import { maskStride, type Display, type QrSymbolView } from "../display";

type PocoRenderer = InstanceType<typeof Poco>;

export class PocoDisplay implements Display {
  readonly width: number;
  readonly height: number;
  readonly #poco: PocoRenderer;

  constructor(pixelsOut: PixelsOut = screen, options: { rotation?: 0 | 90 | 180 | 270; displayListLength?: number } = {}) {
    this.#poco = new Poco(pixelsOut, options);
    this.width = this.#poco.width;
    this.height = this.#poco.height;
  }

  begin(x?: number, y?: number, width?: number, height?: number): void {
    if (x === undefined) this.#poco.begin();
    else this.#poco.begin(x, y ?? 0, width ?? this.width - x, height ?? this.height - (y ?? 0));
  }

  fillRect(x: number, y: number, width: number, height: number, color: number): void {
    this.#poco.fillRectangle(color, x, y, width, height);
  }

  /** Poco draws from `pixels` when the frame ends: leave them unchanged until end(). */
  writeRegion(x: number, y: number, width: number, height: number, pixels: Uint16Array): void {
    if (pixels.length < width * height) throw new RangeError(`writeRegion: ${pixels.length} pixels for ${width}x${height}`);
    const bitmap = new Bitmap(width, height, Bitmap.RGB565LE, pixels.buffer, pixels.byteOffset);
    this.#poco.drawBitmap(bitmap, x, y);
  }

  /** A 1-bit Commodetto bitmap over the caller's bytes: set bits in `color`, clear bits transparent. */
  drawMask(x: number, y: number, width: number, height: number, bits: Uint8Array, color: number): void {
    if (bits.length < maskStride(width) * height) throw new RangeError(`drawMask: ${bits.length} bytes for ${width}x${height}`);
    const bitmap = new Bitmap(width, height, Bitmap.Monochrome, bits.buffer, bits.byteOffset);
    this.#poco.drawMonochrome(bitmap, color, undefined, x, y);
  }

  drawQr(symbol: QrSymbolView, x: number, y: number, scale: number, dark: number, light: number): void {
    const { size, modules } = symbol;
    const side = size * scale;
    this.#poco.fillRectangle(light, x, y, side, side);
    const native = nativeSymbol(symbol);
    if (native) {
      this.#poco.drawQRCode(native, x, y, scale, dark);
      return;
    }
    // Symbols from elsewhere: one rectangle per horizontal run of dark modules.
    for (let row = 0; row < size; row++) {
      const base = row * size;
      let column = 0;
      while (column < size) {
        if (!modules[base + column]) {
          column++;
          continue;
        }
        const start = column;
        while (column < size && modules[base + column]) column++;
        this.#poco.fillRectangle(dark, x + start * scale, y + row * scale, (column - start) * scale, scale);
      }
    }
  }

  end(): void {
    this.#poco.end();
  }
}

/** The ArrayBuffer from the native `qrcode` module, which carries its own `size`. */
function nativeSymbol(symbol: QrSymbolView): ArrayBuffer | undefined {
  const { buffer, byteOffset, byteLength } = symbol.modules;
  if (!(buffer instanceof ArrayBuffer) || byteOffset !== 0 || byteLength !== buffer.byteLength) return undefined;
  return (buffer as ArrayBuffer & { size?: number }).size === symbol.size ? buffer : undefined;
}
