/**
 * The host's QR encoder with the device's semantics (Moddable `qrcode`, Nayuki's qrcodegen): the
 * whole text in one segment of the narrowest mode that holds it (numeric, alphanumeric, else
 * UTF-8 bytes), the smallest version that fits at error correction M, then the highest level
 * (H, then Q) that still fits in that version. Built on the npm `qrcode` package, an encoder
 * independent of hal/memory's, so each checks the other.
 */
import QRCode from "qrcode";
import type { QrSymbolView } from "../../hal/display";
import { QrTooLargeError, type QrEncoder } from "../../hal/qr";

type Level = "L" | "M" | "Q" | "H";
const ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

/** The single segment qrcodegen's encodeText would make. */
function segment(input: string | Uint8Array): QRCode.QRCodeSegment {
  if (typeof input !== "string") return { data: Buffer.from(input), mode: "byte" };
  if (/^[0-9]*$/.test(input)) return { data: input, mode: "numeric" };
  if (ALPHANUMERIC.test(input)) return { data: input, mode: "alphanumeric" };
  return { data: Buffer.from(input, "utf8"), mode: "byte" };
}

export interface HostQrOptions {
  level?: Level;
  version?: number;
  mask?: number;
}

/** One symbol at exactly the given level (and version and mask, when given). */
export function hostQrSymbol(input: string | Uint8Array, options: HostQrOptions = {}) {
  return QRCode.create([segment(input)], {
    errorCorrectionLevel: options.level ?? "M",
    ...(options.version ? { version: options.version } : {}),
    ...(options.mask === undefined ? {} : { maskPattern: options.mask as QRCode.QRCodeMaskPattern }),
  });
}

export const hostQrEncoder: QrEncoder = {
  encode(input: string | Uint8Array, maxVersion = 40): QrSymbolView {
    const bytes = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.length;
    let base;
    try {
      base = hostQrSymbol(input);
    } catch {
      throw new QrTooLargeError(bytes, maxVersion);
    }
    if (base.version > maxVersion) throw new QrTooLargeError(bytes, maxVersion);
    let symbol = base;
    for (const level of ["H", "Q"] as const) {
      try {
        symbol = hostQrSymbol(input, { level, version: base.version });
        break;
      } catch {
        // does not fit at this level in the same version: try the next lower one
      }
    }
    const size = symbol.modules.size;
    return { size, modules: Uint8Array.from(symbol.modules.data, (dark) => (dark ? 1 : 0)) };
  },
};
