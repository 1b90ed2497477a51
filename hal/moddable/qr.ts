/**
 * QR encoding with Moddable's native `qrcode` module (Nayuki's qrcodegen in C): error
 * correction M with boost, automatic mask, one byte per module.
 * Needs: "qrcode" ($(MODULES)/data/qrcode/manifest.json).
 */
import qrCode from "qrcode";
import type { QrSymbolView } from "../display";
import { QrTooLargeError, type QrEncoder } from "../qr";
import { utf8Length } from "../utf8";

const MIN_VERSION = 1;
const MAX_VERSION = 40;

/**
 * The symbol keeps the native result as its `modules` buffer: that ArrayBuffer carries the
 * `size` property Poco's drawQRCode reads, so PocoDisplay can hand it over without copying.
 */
export class NativeQrEncoder implements QrEncoder {
  encode(input: string | Uint8Array, maxVersion = MAX_VERSION): QrSymbolView {
    if (!Number.isInteger(maxVersion) || maxVersion < MIN_VERSION || maxVersion > MAX_VERSION)
      throw new RangeError(`maxVersion must be ${MIN_VERSION} to ${MAX_VERSION}, got ${maxVersion}`);
    let code;
    try {
      code = qrCode({ input, maxVersion });
    } catch {
      // The native encoder fails ("qrcode failed", "invalid") only when the data does not fit.
      throw new QrTooLargeError(typeof input === "string" ? utf8Length(input) : input.length, maxVersion);
    }
    return { size: code.size, modules: new Uint8Array(code) };
  }
}

