/**
 * PN532 host-link frames (UM0701-02 section 6.2.1), independent of the bus that carries them:
 *
 *   normal       00 00 FF LEN LCS TFI PD0..PDn DCS 00         LEN = 1 + n + 1 (TFI and data)
 *   extended     00 00 FF FF FF LENM LENL LCS TFI PD0..PDn DCS 00
 *   ACK          00 00 FF 00 FF 00
 *   NACK         00 00 FF FF 00 00
 *   error        00 00 FF 01 FF 7F 81 00                        (application-level syntax error)
 *
 * LEN + LCS = 0 and TFI + PD0 + ... + PDn + DCS = 0 (mod 256). The preamble byte is optional on
 * the wire; a frame begins at its start code 00 FF. The scanner skips anything before a start
 * code, so garbage on the line (or a false 00 FF inside it) costs nothing but the bytes.
 */
import { hexByte, NfcError } from "./errors";

export const FRAME = Object.freeze({
  PREAMBLE: 0x00,
  START_CODE_1: 0x00,
  START_CODE_2: 0xff,
  POSTAMBLE: 0x00,
  /** Frame identifiers (TFI): the direction of an information frame. */
  HOST_TO_PN532: 0xd4,
  PN532_TO_HOST: 0xd5,
  /** The TFI position of an error frame holds this byte. */
  ERROR_MARK: 0x7f,
  /** LEN of a normal frame counts TFI and data; past this an extended frame is needed. */
  NORMAL_MAX_LENGTH: 0xff,
  /** Bytes a normal frame adds around TFI + data: 00 00 FF LEN LCS ... DCS 00. */
  NORMAL_OVERHEAD: 7,
  /** 00 00 FF FF FF LENM LENL LCS ... DCS 00. */
  EXTENDED_OVERHEAD: 10,
});

export const ACK_FRAME: Uint8Array = Uint8Array.of(0x00, 0x00, 0xff, 0x00, 0xff, 0x00);
export const NACK_FRAME: Uint8Array = Uint8Array.of(0x00, 0x00, 0xff, 0xff, 0x00, 0x00);

export type FrameKind = "ack" | "nack" | "error" | "information";

/**
 * What `scanFrame` found. One instance is reused for every scan (no allocation per frame):
 * `kind` is the complete frame's kind; `start`..`end` its bytes, preamble-less start code to
 * postamble; `tfi`, `dataStart`, `dataLength` its information (data excludes the TFI).
 */
export class FrameScan {
  kind: FrameKind | undefined = undefined;
  start = 0;
  end = 0;
  tfi = 0;
  dataStart = 0;
  dataLength = 0;
  extended = false;
  /** For a partial frame: how many bytes from `start` the whole frame takes. */
  need = 0;
  /** The last candidate frame that was rejected, and why. */
  problem: NfcError | undefined = undefined;

  reset(): void {
    this.kind = undefined;
    this.start = this.end = this.tfi = this.dataStart = this.dataLength = this.need = 0;
    this.extended = false;
    this.problem = undefined;
  }
}

export type ScanOutcome = "frame" | "partial" | "none";

/**
 * Looks for the first valid frame in `buf[from, to)`. Returns "frame" (see `scan`), "partial"
 * when a frame whose header checks out runs past `to` (`scan.start`, `scan.need`), or "none".
 * Candidates that fail a check are recorded in `scan.problem` and skipped. Frames whose TFI and
 * data exceed `maxLength` bytes are refused as too long.
 */
export function scanFrame(buf: Uint8Array, from: number, to: number, maxLength: number, scan: FrameScan): ScanOutcome {
  scan.reset();
  for (let p = from; p + 1 < to; p++) {
    if (buf[p] !== FRAME.START_CODE_1 || buf[p + 1] !== FRAME.START_CODE_2) continue;
    const outcome = candidate(buf, p, to, maxLength, scan);
    if (outcome !== "none") return outcome;
  }
  return "none";
}

/** Checks a frame whose start code is at `p`. "none" means rejected (recorded in `scan.problem`). */
function candidate(buf: Uint8Array, p: number, to: number, maxLength: number, scan: FrameScan): ScanOutcome {
  scan.start = p;
  if (p + 4 > to) return partial(scan, 5);
  const len = buf[p + 2];
  const lcs = buf[p + 3];
  if (len === 0x00 && lcs === 0xff) return special(buf, p, to, "ack", scan);
  if (len === 0xff && lcs === 0x00) return special(buf, p, to, "nack", scan);
  let length: number;
  let tfiAt: number;
  if (len === 0xff && lcs === 0xff) {
    if (p + 7 > to) return partial(scan, 8);
    const lenm = buf[p + 4];
    const lenl = buf[p + 5];
    const xlcs = buf[p + 6];
    if (((lenm + lenl + xlcs) & 0xff) !== 0)
      return reject(scan, "frame-length-checksum", `extended frame LENM ${hexByte(lenm)} + LENL ${hexByte(lenl)} + LCS ${hexByte(xlcs)} is not 0 mod 256`);
    length = (lenm << 8) | lenl;
    tfiAt = p + 7;
    scan.extended = true;
  } else {
    if (((len + lcs) & 0xff) !== 0) return reject(scan, "frame-length-checksum", `LEN ${hexByte(len)} + LCS ${hexByte(lcs)} is not 0 mod 256`);
    length = len;
    tfiAt = p + 4;
    scan.extended = false;
  }
  if (length === 0) return reject(scan, "frame-length-checksum", "an information frame with LEN 0 (no TFI)");
  if (length > maxLength) return reject(scan, "frame-too-long", `frame announces ${length} bytes of TFI and data; at most ${maxLength} fit`);
  const total = tfiAt - p + length + 2;
  if (p + total > to) return partial(scan, total);
  let sum = 0;
  for (let i = tfiAt; i <= tfiAt + length; i++) sum += buf[i];
  const dcs = buf[tfiAt + length];
  if ((sum & 0xff) !== 0) return reject(scan, "frame-data-checksum", `data checksum ${hexByte(dcs)} does not bring TFI + data to 0 mod 256 (sum ${hexByte((sum - dcs) & 0xff)})`);
  const postamble = buf[tfiAt + length + 1];
  if (postamble !== FRAME.POSTAMBLE) return reject(scan, "frame-postamble", `postamble ${hexByte(postamble)} is not 0x00`);
  scan.end = p + total;
  scan.tfi = buf[tfiAt];
  if (length === 1 && scan.tfi === FRAME.ERROR_MARK) {
    scan.kind = "error";
    scan.dataStart = tfiAt + 1;
    scan.dataLength = 0;
    return "frame";
  }
  scan.kind = "information";
  scan.dataStart = tfiAt + 1;
  scan.dataLength = length - 1;
  return "frame";
}

function special(buf: Uint8Array, p: number, to: number, kind: "ack" | "nack", scan: FrameScan): ScanOutcome {
  if (p + 5 > to) return partial(scan, 5);
  if (buf[p + 4] !== FRAME.POSTAMBLE) return reject(scan, "frame-postamble", `${kind.toUpperCase()} postamble ${hexByte(buf[p + 4])} is not 0x00`);
  scan.kind = kind;
  scan.end = p + 5;
  scan.extended = false;
  return "frame";
}

function partial(scan: FrameScan, need: number): ScanOutcome {
  scan.need = need;
  return "partial";
}

function reject(scan: FrameScan, code: "frame-length-checksum" | "frame-data-checksum" | "frame-postamble" | "frame-too-long", message: string): ScanOutcome {
  scan.problem = new NfcError(code, message);
  scan.extended = false;
  return "none";
}

/**
 * Writes an information frame carrying `tfi`, `command` and `params` into `out` (normal, or
 * extended past 255 bytes of TFI and data); returns its length.
 */
export function writeFrame(out: Uint8Array, tfi: number, command: number, params: Uint8Array): number {
  const length = 2 + params.length;
  const extended = length > FRAME.NORMAL_MAX_LENGTH;
  const total = length + (extended ? FRAME.EXTENDED_OVERHEAD : FRAME.NORMAL_OVERHEAD);
  if (total > out.length) throw new NfcError("frame-too-long", `a frame of ${length} bytes of TFI and data does not fit a ${out.length}-byte buffer`);
  if (length > 0xffff) throw new NfcError("frame-too-long", `${length} bytes exceed an extended frame`);
  let i = 0;
  out[i++] = FRAME.PREAMBLE;
  out[i++] = FRAME.START_CODE_1;
  out[i++] = FRAME.START_CODE_2;
  if (extended) {
    out[i++] = 0xff;
    out[i++] = 0xff;
    out[i++] = length >> 8;
    out[i++] = length & 0xff;
    out[i++] = (0x100 - (((length >> 8) + (length & 0xff)) & 0xff)) & 0xff;
  } else {
    out[i++] = length;
    out[i++] = (0x100 - length) & 0xff;
  }
  out[i++] = tfi;
  out[i++] = command;
  let sum = tfi + command;
  for (let k = 0; k < params.length; k++) {
    out[i++] = params[k];
    sum += params[k];
  }
  out[i++] = (0x100 - (sum & 0xff)) & 0xff;
  out[i++] = FRAME.POSTAMBLE;
  return i;
}
