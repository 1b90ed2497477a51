/**
 * Where a QR symbol goes on the screen: the largest whole-pixel module size that fits the symbol
 * plus its quiet zone (at least 4 modules a side, ISO/IEC 18004 section 7.3.8) in the given area.
 */
export const QUIET_ZONE_MODULES = 4;

export interface QrPlacement {
  /** Pixels per module. */
  scale: number;
  /** Top-left of the first module (inside the quiet zone). */
  x: number;
  y: number;
  /** The symbol with its quiet zone, in pixels. */
  extent: number;
}

export function placeQr(symbolSize: number, area: { x: number; y: number; width: number; height: number }): QrPlacement | undefined {
  const modules = symbolSize + 2 * QUIET_ZONE_MODULES;
  const scale = Math.floor(Math.min(area.width, area.height) / modules);
  if (scale < 1) return undefined;
  const extent = modules * scale;
  const left = area.x + Math.floor((area.width - extent) / 2);
  const top = area.y + Math.floor((area.height - extent) / 2);
  return { scale, x: left + QUIET_ZONE_MODULES * scale, y: top + QUIET_ZONE_MODULES * scale, extent };
}
