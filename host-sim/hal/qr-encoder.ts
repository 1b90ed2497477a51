/**
 * The host's QR encoder with the device's semantics (Moddable `qrcode`, Nayuki's generator with
 * boosted error correction): take the smallest version that fits at level M, then the highest
 * level (H, then Q) that still fits in that version. Built on the npm `qrcode` package.
 */
import QRCode from "qrcode";
import type { QrSymbolView } from "../../hal/display";
import { QrTooLargeError, type QrEncoder } from "../../hal/qr";

function create(input: string | Uint8Array, level: "M" | "Q" | "H", version?: number) {
  const segments = typeof input === "string" ? [{ data: Buffer.from(input, "utf8"), mode: "byte" as const }] : [{ data: Buffer.from(input), mode: "byte" as const }];
  return QRCode.create(segments, { errorCorrectionLevel: level, ...(version ? { version } : {}) });
}

export const hostQrEncoder: QrEncoder = {
  encode(input: string | Uint8Array, maxVersion = 40): QrSymbolView {
    const bytes = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.length;
    let base;
    try {
      base = create(input, "M");
    } catch {
      throw new QrTooLargeError(bytes, maxVersion);
    }
    if (base.version > maxVersion) throw new QrTooLargeError(bytes, maxVersion);
    let symbol = base;
    for (const level of ["H", "Q"] as const) {
      try {
        symbol = create(input, level, base.version);
        break;
      } catch {
        // does not fit at this level in the same version: try the next lower one
      }
    }
    const size = symbol.modules.size;
    return { size, modules: Uint8Array.from(symbol.modules.data, (dark) => (dark ? 1 : 0)) };
  },
};
