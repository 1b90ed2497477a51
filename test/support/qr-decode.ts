/**
 * Reads QR codes back from screen pixels with two independent decoders, jsQR and ZXing
 * (@zxing/library), and returns the bytes each found, so a test can require both to agree with
 * the payload byte for byte.
 *
 * ZXing 0.21 (the last release that runs on Node 20) picks its three finder patterns by module
 * size alone, so a 1:1:3:1:1 run inside the data area can win over the real bottom-left finder
 * and the grid sampler then gives up; real payloads hit this (a UPI link at version 5-M, mask 4).
 * Newer ZXing picks the most right-angled triple instead. When ZXing's own search finds nothing,
 * it reads the symbol again in its pure-barcode mode from the symbol's square as jsQR located it,
 * quiet zone included and nothing masked: ZXing still samples every module and does its own
 * format, version and Reed-Solomon decoding, so the bytes remain an independent reading.
 */
import jsQR from "jsqr";
import { BarcodeFormat, BinaryBitmap, DecodeHintType, HybridBinarizer, NotFoundException, QRCodeReader, ResultMetadataType, RGBLuminanceSource } from "@zxing/library";

export interface Decoded {
  jsqr: string | undefined;
  zxing: string | undefined;
}

/** The symbol's square in screen pixels, as jsQR located it. */
interface SymbolSquare {
  left: number;
  top: number;
  side: number;
  moduleSize: number;
}

function utf8(bytes: Uint8Array | number[] | undefined): string | undefined {
  return bytes === undefined ? undefined : new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
}

function readJsqr(rgba: Uint8ClampedArray, width: number, height: number): { text: string; square: SymbolSquare } | undefined {
  const found = jsQR(rgba, width, height, { inversionAttempts: "dontInvert" });
  if (!found) return undefined;
  const { topLeftCorner, topRightCorner, bottomLeftCorner } = found.location;
  const left = Math.round(Math.min(topLeftCorner.x, bottomLeftCorner.x));
  const top = Math.round(Math.min(topLeftCorner.y, topRightCorner.y));
  const side = Math.round(Math.max(topRightCorner.x - topLeftCorner.x, bottomLeftCorner.y - topLeftCorner.y));
  const modules = 17 + 4 * found.version;
  return { text: utf8(found.binaryData) as string, square: { left, top, side, moduleSize: side / modules } };
}

export function decodeWithJsqr(rgba: Uint8ClampedArray, width: number, height: number): string | undefined {
  return readJsqr(rgba, width, height)?.text;
}

function luminanceOf(rgba: Uint8ClampedArray, width: number, height: number): Uint8ClampedArray {
  const luminance = new Uint8ClampedArray(width * height);
  for (let i = 0; i < luminance.length; i++) luminance[i] = (rgba[i * 4] * 299 + rgba[i * 4 + 1] * 587 + rgba[i * 4 + 2] * 114) / 1000;
  return luminance;
}

const NOT_READ = new Set(["NotFoundException", "ChecksumException", "FormatException"]);

function zxingRead(luminance: Uint8ClampedArray, width: number, height: number, pure: boolean): string | undefined {
  const bitmap = new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(luminance, width, height)));
  const hints = new Map<DecodeHintType, unknown>([
    [DecodeHintType.POSSIBLE_FORMATS, [BarcodeFormat.QR_CODE]],
    [pure ? DecodeHintType.PURE_BARCODE : DecodeHintType.TRY_HARDER, true],
  ]);
  try {
    const result = new QRCodeReader().decode(bitmap, hints);
    // The byte segments are the symbol's data exactly as encoded, before any charset guess.
    const segments = result.getResultMetadata().get(ResultMetadataType.BYTE_SEGMENTS) as Uint8Array[] | undefined;
    if (!segments) return result.getText();
    const total = segments.reduce((n, s) => n + s.length, 0);
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const segment of segments) {
      bytes.set(segment, offset);
      offset += segment.length;
    }
    return utf8(bytes);
  } catch (error) {
    if (error instanceof NotFoundException || NOT_READ.has((error as Error).name)) return undefined;
    throw error;
  }
}

/** The square plus two modules of quiet zone each side, cut out of the frame unchanged. */
function cropAround(luminance: Uint8ClampedArray, width: number, height: number, square: SymbolSquare) {
  const pad = Math.round(2 * square.moduleSize);
  const left = Math.max(0, square.left - pad);
  const top = Math.max(0, square.top - pad);
  const right = Math.min(width, square.left + square.side + pad);
  const bottom = Math.min(height, square.top + square.side + pad);
  const w = right - left;
  const h = bottom - top;
  const out = new Uint8ClampedArray(w * h);
  for (let y = 0; y < h; y++) out.set(luminance.subarray((top + y) * width + left, (top + y) * width + right), y * w);
  return { pixels: out, width: w, height: h };
}

function zxingWithSquare(rgba: Uint8ClampedArray, width: number, height: number, square: SymbolSquare | undefined): string | undefined {
  const luminance = luminanceOf(rgba, width, height);
  const searched = zxingRead(luminance, width, height, false);
  if (searched !== undefined || !square) return searched;
  const crop = cropAround(luminance, width, height, square);
  return zxingRead(crop.pixels, crop.width, crop.height, true);
}

export function decodeBoth(rgba: Uint8ClampedArray, width: number, height: number): Decoded {
  const jsqr = readJsqr(rgba, width, height);
  return { jsqr: jsqr?.text, zxing: zxingWithSquare(rgba, width, height, jsqr?.square) };
}
