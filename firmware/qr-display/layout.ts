/**
 * Where things go on the screen. A QR symbol gets the largest whole-pixel module size that fits
 * it with its quiet zone (at least 4 modules a side, ISO/IEC 18004 section 7.3.8) in the space the
 * text leaves; text lines get the largest of their allowed scales that fits their width, and are
 * made smaller only when the QR would not fit at the minimum module size otherwise.
 * Portrait screens stack the banner and text above the symbol and more text below it; landscape
 * screens give the symbol the full height on the left and put banner and text in a right panel.
 */
import { iconHeight, iconWidth, type IconName } from "./icons";
import { fitText, textHeight, textWidth } from "./text";

export const QUIET_ZONE_MODULES = 4;
/**
 * Module sizes, in pixels. On a 2-2.8" 240x320 panel a pixel is 0.13-0.18 mm: 3 pixels (0.4-0.55
 * mm) scan comfortably at arm's length and are preferred, text shrinking to make room; 2 pixels
 * (0.26-0.36 mm) still scan from closer and are the floor. A payload that needs smaller modules
 * is refused rather than shown too small to scan.
 */
export const PREFERRED_MODULE_PIXELS = 3;
export const DEFAULT_MIN_MODULE_PIXELS = 2;
export const MARGIN = 4;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface QrPlacement {
  /** Pixels per module. */
  scale: number;
  /** Top-left of the first module (inside the quiet zone). */
  x: number;
  y: number;
  /** The symbol with its quiet zone, in pixels. */
  extent: number;
}

export function placeQr(symbolSize: number, area: Rect, minScale = 1): QrPlacement | undefined {
  const modules = symbolSize + 2 * QUIET_ZONE_MODULES;
  const scale = Math.floor(Math.min(area.width, area.height) / modules);
  if (scale < minScale || scale < 1) return undefined;
  const extent = modules * scale;
  const left = area.x + Math.floor((area.width - extent) / 2);
  const top = area.y + Math.floor((area.height - extent) / 2);
  return { scale, x: left + QUIET_ZONE_MODULES * scale, y: top + QUIET_ZONE_MODULES * scale, extent };
}

/** The largest QR version whose symbol and quiet zone fit a square of `side` pixels at `minScale`. */
export function maxQrVersion(side: number, minScale: number): number {
  const modules = Math.floor(side / minScale) - 2 * QUIET_ZONE_MODULES;
  return Math.min(40, Math.floor((modules - 17) / 4));
}

export interface TextLine {
  text: string;
  /** Drawn instead of the text when set. */
  icon?: IconName;
  /** Preferred scale; the layout may go down to minScale. */
  scale: number;
  minScale?: number;
  color: number;
  /** A critical line (an amount, a reference, the time left) is never cut: if it does not fit, the layout fails. */
  critical?: boolean;
  /** The line whose size matters most (the amount): a landscape layout gives up QR size for it. */
  primary?: boolean;
}

export interface PlacedText {
  text: string;
  icon?: IconName;
  scale: number;
  x: number;
  y: number;
  color: number;
  /** The line's whole band (its column's width, its height), for redrawing it alone. */
  band: Rect;
}

export interface ScreenLayout {
  qr: QrPlacement | undefined;
  /** Where the status banner goes, when the request has one. */
  banner: Rect | undefined;
  texts: PlacedText[];
}

export class LayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LayoutError";
  }
}

export interface LayoutRequest {
  width: number;
  height: number;
  /** Height of the status banner, 0 for none. */
  banner: number;
  /** Modules per side of the QR symbol, or undefined for a screen without one. */
  symbolSize?: number;
  above: readonly TextLine[];
  below: readonly TextLine[];
  minModulePixels: number;
  /** Tried first, shrinking text for it; defaults to minModulePixels. */
  preferredModulePixels?: number;
}

function gap(scale: number): number {
  return 2 * scale;
}

function lineWidth(line: TextLine, scale: number): number {
  return line.icon ? iconWidth(line.icon, scale) : textWidth(line.text, scale);
}

function lineHeight(line: TextLine, scale: number): number {
  return line.icon ? iconHeight(line.icon, scale) : textHeight(scale);
}

/** The line at the largest allowed scale that fits `width`; non-critical text is cut as a last resort. */
function fit(line: TextLine, width: number): TextLine | undefined {
  const min = line.minScale ?? line.scale;
  for (let scale = line.scale; scale >= min; scale--) if (lineWidth(line, scale) <= width) return { ...line, scale };
  if (line.critical || line.icon) return undefined;
  return { ...line, text: fitText(line.text, min, width), scale: min };
}

function fitAll(lines: readonly TextLine[], width: number): TextLine[] | undefined {
  const out: TextLine[] = [];
  for (const line of lines) {
    const fitted = fit(line, width);
    if (!fitted) return undefined;
    out.push(fitted);
  }
  return out;
}

function stackHeight(lines: readonly TextLine[]): number {
  let height = 0;
  for (let i = 0; i < lines.length; i++) height += lineHeight(lines[i], lines[i].scale) + (i > 0 ? gap(lines[i].scale) : 0);
  return height;
}

/** Places fitted lines top-down from `y`, each centred in [x, x + width); returns the bottom. */
function stack(lines: readonly TextLine[], x: number, y: number, width: number, out: PlacedText[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (i > 0) y += gap(line.scale);
    const height = lineHeight(line, line.scale);
    const placed: PlacedText = { text: line.text, scale: line.scale, x: x + Math.floor((width - lineWidth(line, line.scale)) / 2), y, color: line.color, band: { x, y, width, height } };
    if (line.icon) placed.icon = line.icon;
    out.push(placed);
    y += height;
  }
  return y;
}

/** The lines one step smaller: every scale lowered by `level`, never below its minimum. */
function shrink(lines: readonly TextLine[], level: number): TextLine[] {
  return lines.map((line) => ({ ...line, scale: Math.max(line.minScale ?? line.scale, line.scale - level) }));
}

function deepestShrink(lines: readonly TextLine[]): number {
  let level = 0;
  for (const line of lines) level = Math.max(level, line.scale - (line.minScale ?? line.scale));
  return level;
}

/**
 * Lays out a screen. The QR gets at least the preferred module size if the text, made smaller
 * one step at a time, leaves room for it; failing that, at least the minimum module size. In
 * landscape, where the text column narrows as the QR grows, the amount's size comes before the
 * QR's beyond that. Within those limits, the QR takes all the room left.
 */
export function layoutScreen(request: LayoutRequest): ScreenLayout {
  const { symbolSize } = request;
  const deepest = deepestShrink([...request.above, ...request.below]);
  const preferred = Math.max(request.minModulePixels, request.preferredModulePixels ?? request.minModulePixels);
  const floors = preferred > request.minModulePixels ? [preferred, request.minModulePixels] : [request.minModulePixels];
  const portraitQr = symbolSize !== undefined && request.width <= request.height;
  let failure: LayoutError | undefined;
  for (const floor of portraitQr ? floors : [request.minModulePixels]) {
    for (let level = 0; level <= deepest; level++) {
      const shrunk = { ...request, minModulePixels: floor, above: shrink(request.above, level), below: shrink(request.below, level) };
      try {
        if (symbolSize === undefined) return textOnly(shrunk);
        return portraitQr ? portrait(shrunk, symbolSize) : landscape(shrunk, symbolSize, preferred);
      } catch (error) {
        if (!(error instanceof LayoutError)) throw error;
        failure = error;
      }
    }
  }
  throw failure as LayoutError;
}

function bannerStrip(request: LayoutRequest, x: number, width: number): Rect | undefined {
  return request.banner > 0 ? { x, y: 0, width, height: request.banner } : undefined;
}

function textOnly(request: LayoutRequest): ScreenLayout {
  const { width, height, banner } = request;
  const lines = fitAll([...request.above, ...request.below], width - 2 * MARGIN);
  const total = lines && stackHeight(lines);
  if (!lines || total === undefined || total > height - banner - 2 * MARGIN) throw new LayoutError(`the text does not fit ${width}x${height}`);
  const texts: PlacedText[] = [];
  stack(lines, MARGIN, banner + Math.floor((height - banner - total) / 2), width - 2 * MARGIN, texts);
  return { qr: undefined, banner: bannerStrip(request, 0, width), texts };
}

function portrait(request: LayoutRequest, symbolSize: number): ScreenLayout {
  const { width, height, banner } = request;
  const inner = width - 2 * MARGIN;
  const above = fitAll(request.above, inner);
  const below = fitAll(request.below, inner);
  if (!above || !below) throw new LayoutError(`an amount does not fit ${width} pixels`);
  const texts: PlacedText[] = [];
  const qrTop = above.length > 0 ? stack(above, MARGIN, banner + MARGIN, inner, texts) + MARGIN : banner;
  const belowHeight = stackHeight(below);
  const qrBottom = below.length > 0 ? height - 2 * MARGIN - belowHeight : height;
  stack(below, MARGIN, height - MARGIN - belowHeight, inner, texts);
  const qr = placeQr(symbolSize, { x: 0, y: qrTop, width, height: qrBottom - qrTop }, request.minModulePixels);
  if (!qr) throw tooSmall(request, symbolSize, Math.min(width, qrBottom - qrTop));
  return { qr, banner: bannerStrip(request, 0, width), texts };
}

interface Candidate {
  scale: number;
  above: TextLine[];
  below: TextLine[];
  /** Larger is better, compared in order. */
  rank: number[];
}

function landscape(request: LayoutRequest, symbolSize: number, preferred: number): ScreenLayout {
  const { width, height, banner } = request;
  const modules = symbolSize + 2 * QUIET_ZONE_MODULES;
  const largest = Math.floor(height / modules);
  if (largest < request.minModulePixels) throw tooSmall(request, symbolSize, height);
  let best: Candidate | undefined;
  for (let scale = largest; scale >= request.minModulePixels; scale--) {
    const panelWidth = width - modules * scale - 2 * MARGIN;
    if (panelWidth <= 0) continue;
    const above = fitAll(request.above, panelWidth);
    const below = fitAll(request.below, panelWidth);
    if (!above || !below) continue;
    if (banner + stackHeight(above) + stackHeight(below) + 3 * MARGIN > height) continue;
    const primary = [...above, ...below].find((line) => line.primary)?.scale ?? 0;
    const textScales = [...above, ...below].reduce((sum, line) => sum + line.scale, 0);
    const rank = [scale >= preferred ? 1 : 0, primary, scale, textScales];
    if (!best || isBetter(rank, best.rank)) best = { scale, above, below, rank };
  }
  if (!best) {
    throw new LayoutError(
      `a ${symbolSize}-module QR at ${request.minModulePixels} or more pixels per module leaves no room for the amount beside it on ${width}x${height}`,
    );
  }
  const extent = modules * best.scale;
  const panelX = extent + MARGIN;
  const panelWidth = width - panelX - MARGIN;
  const texts: PlacedText[] = [];
  stack(best.above, panelX, banner + MARGIN, panelWidth, texts);
  stack(best.below, panelX, height - MARGIN - stackHeight(best.below), panelWidth, texts);
  const qr = placeQr(symbolSize, { x: 0, y: 0, width: extent, height }, best.scale) as QrPlacement;
  return { qr, banner: bannerStrip(request, extent, width - extent), texts };
}

function isBetter(rank: readonly number[], than: readonly number[]): boolean {
  for (let i = 0; i < rank.length; i++) if (rank[i] !== than[i]) return rank[i] > than[i];
  return false;
}

function tooSmall(request: LayoutRequest, symbolSize: number, side: number): LayoutError {
  const fits = Math.floor(side / request.minModulePixels) - 2 * QUIET_ZONE_MODULES;
  return new LayoutError(
    `a ${symbolSize}-module QR needs ${(symbolSize + 2 * QUIET_ZONE_MODULES) * request.minModulePixels} pixels with its quiet zone at ${request.minModulePixels} pixels per module; ` +
      `this ${request.width}x${request.height} screen has ${side} beside the text (at most ${Math.max(0, fits)} modules)`,
  );
}
