/** A colour display addressed by regions of RGB565 pixels, as Poco and PixelsOut draw them. */
export interface Display {
  readonly width: number;
  readonly height: number;
  /**
   * Starts a frame update; drawing calls between begin and end land together. With a region,
   * only that rectangle is updated and the drawing must cover all of it.
   */
  begin(x?: number, y?: number, width?: number, height?: number): void;
  fillRect(x: number, y: number, width: number, height: number, color: number): void;
  /** `pixels` holds width * height RGB565 values, row by row. */
  writeRegion(x: number, y: number, width: number, height: number, pixels: Uint16Array): void;
  /**
   * Paints `color` where `bits` (one bit per pixel, rows of ceil(width / 8) bytes, most
   * significant bit first) has ones and leaves the other pixels as they are: text and icons.
   * The implementation may read `bits` until end(): leave them unchanged until then.
   */
  drawMask(x: number, y: number, width: number, height: number, bits: Uint8Array, color: number): void;
  /** Draws QR modules (one byte per module, non-zero is dark) with each module `scale` pixels wide. */
  drawQr(symbol: QrSymbolView, x: number, y: number, scale: number, dark: number, light: number): void;
  end(): void;
}

export interface QrSymbolView {
  readonly size: number;
  readonly modules: Uint8Array;
}

/** Bytes per row of a drawMask bitmap. */
export function maskStride(width: number): number {
  return (width + 7) >> 3;
}

/** Packs 8-bit channels into RGB565. */
export function rgb565(red: number, green: number, blue: number): number {
  return ((red & 0xf8) << 8) | ((green & 0xfc) << 3) | (blue >> 3);
}
