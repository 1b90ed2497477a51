import type { QrSymbolView } from "./display";

/**
 * QR encoder with the semantics of Moddable's native `qrcode` module: error correction M,
 * raised to the highest level that fits the same version ("boost"), mask chosen by penalty,
 * one byte per module in the result.
 */
export interface QrEncoder {
  /** Throws QrTooLargeError when the input does not fit in `maxVersion` (default 40). */
  encode(input: string | Uint8Array, maxVersion?: number): QrSymbolView;
}

export class QrTooLargeError extends Error {
  constructor(readonly bytes: number, readonly maxVersion: number) {
    super(`${bytes} bytes do not fit in a QR code of version ${maxVersion} or lower`);
    this.name = "QrTooLargeError";
  }
}
