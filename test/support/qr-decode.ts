/**
 * Reads QR codes back from screen pixels with two independent decoders, jsQR and ZXing
 * (@zxing/library), and returns the bytes each found, so a test can require both to agree with
 * the payload byte for byte.
 */
import jsQR from "jsqr";
import { BarcodeFormat, BinaryBitmap, DecodeHintType, HybridBinarizer, NotFoundException, QRCodeReader, ResultMetadataType, RGBLuminanceSource } from "@zxing/library";

export interface Decoded {
  jsqr: string | undefined;
  zxing: string | undefined;
}

function utf8(bytes: Uint8Array | number[] | undefined): string | undefined {
  return bytes === undefined ? undefined : new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
}

export function decodeWithJsqr(rgba: Uint8ClampedArray, width: number, height: number): string | undefined {
  const found = jsQR(rgba, width, height, { inversionAttempts: "dontInvert" });
  return found ? utf8(found.binaryData) : undefined;
}

export function decodeWithZxing(rgba: Uint8ClampedArray, width: number, height: number): string | undefined {
  const luminance = new Uint8ClampedArray(width * height);
  for (let i = 0; i < luminance.length; i++) luminance[i] = (rgba[i * 4] * 299 + rgba[i * 4 + 1] * 587 + rgba[i * 4 + 2] * 114) / 1000;
  const bitmap = new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(luminance, width, height)));
  const hints = new Map<DecodeHintType, unknown>([
    [DecodeHintType.POSSIBLE_FORMATS, [BarcodeFormat.QR_CODE]],
    [DecodeHintType.TRY_HARDER, true],
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
    if (error instanceof NotFoundException || (error as Error).name === "NotFoundException" || (error as Error).name === "ChecksumException" || (error as Error).name === "FormatException") return undefined;
    throw error;
  }
}

export function decodeBoth(rgba: Uint8ClampedArray, width: number, height: number): Decoded {
  return { jsqr: decodeWithJsqr(rgba, width, height), zxing: decodeWithZxing(rgba, width, height) };
}
