/**
 * NFC Forum Type 4 tags (ISO-DEP, Type 4 Tag Operation 2.0), both sides:
 *   - reading one: select the NDEF Tag Application, read its capability container file (E103),
 *     select the NDEF file it names, read NLEN and then the message; a card without the NDEF
 *     application is asked for its payment directory instead (ppse.ts);
 *   - being one (card emulation): answer those same APDUs from a CC file and an NDEF file.
 *
 *   CC file     CCLEN(2) version(1) MLe(2) MLc(2) | NDEF File Control TLV: 04 06 id(2) max(2) read(1) write(1)
 *   NDEF file   NLEN(2) message
 */
import { hexByte, NfcError } from "./errors";
import { preferredApplication, selectPpse } from "./ppse";
import type { TagProcedure } from "./procedure";

/** ISO/IEC 7816-4 instructions and the Type 4 Tag constants. */
export const T4T = Object.freeze({
  CLA: 0x00,
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  UPDATE_BINARY: 0xd6,
  BY_NAME: 0x04,
  BY_FILE_ID: 0x00,
  FIRST_OR_ONLY: 0x0c,
  CC_FILE: 0xe103,
  /** The NDEF file id this device's emulated tag uses (any id the CC names is valid). */
  NDEF_FILE: 0xe104,
  MAPPING_VERSION: 0x20,
  NDEF_FILE_CONTROL: 0x04,
  CC_LENGTH: 15,
});

/** NDEF Tag Application name, mapping version 2.0. */
export const NDEF_APPLICATION: Uint8Array = Uint8Array.of(0xd2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01);

/** Status words. */
export const SW = Object.freeze({
  OK: 0x9000,
  WRONG_LENGTH: 0x6700,
  SECURITY: 0x6982,
  NO_CURRENT_EF: 0x6986,
  NOT_FOUND: 0x6a82,
  WRONG_PARAMS: 0x6b00,
  INS_UNKNOWN: 0x6d00,
  CLA_UNKNOWN: 0x6e00,
});

/** Reads no more per READ BINARY than this, so an answer fits a normal PN532 frame. */
const MAX_READ = 0xf0;

export interface Type4Cc {
  mappingVersion: number;
  mle: number;
  mlc: number;
  ndefFile: number;
  ndefMaxBytes: number;
  readAccess: number;
  writeAccess: number;
}

export function parseType4Cc(cc: Uint8Array): Type4Cc {
  if (cc.length < T4T.CC_LENGTH) throw new NfcError("cc", `CC file answered ${cc.length} bytes, at least 15 are needed`);
  const cclen = (cc[0] << 8) | cc[1];
  if (cclen < T4T.CC_LENGTH) throw new NfcError("cc", `CCLEN ${cclen} is below 15`);
  const mappingVersion = cc[2];
  if (mappingVersion >> 4 !== 2) throw new NfcError("cc", `mapping version ${mappingVersion >> 4}.${mappingVersion & 0x0f} is not 2.x`);
  const mle = (cc[3] << 8) | cc[4];
  const mlc = (cc[5] << 8) | cc[6];
  if (mle < 0x0f) throw new NfcError("cc", `MLe ${mle} is below 15`);
  if (cc[7] !== T4T.NDEF_FILE_CONTROL || cc[8] !== 6) throw new NfcError("cc", `expected an NDEF File Control TLV 04 06, got ${hexByte(cc[7])} ${hexByte(cc[8])}`);
  const ndefFile = (cc[9] << 8) | cc[10];
  const ndefMaxBytes = (cc[11] << 8) | cc[12];
  if (ndefFile === 0x0000 || ndefFile === 0xe102 || ndefFile === 0xe103 || ndefFile === 0x3f00 || ndefFile === 0x3fff || ndefFile === 0xffff)
    throw new NfcError("cc", `NDEF file id ${ndefFile.toString(16)} is reserved`);
  if (ndefMaxBytes < 5) throw new NfcError("cc", `maximum NDEF file size ${ndefMaxBytes} is below 5`);
  if (cc[13] !== 0x00) throw new NfcError("cc", `NDEF file read access ${hexByte(cc[13])} does not grant reading`);
  return { mappingVersion, mle, mlc, ndefFile, ndefMaxBytes, readAccess: cc[13], writeAccess: cc[14] };
}

function statusWord(answer: Uint8Array, what: string): number {
  if (answer.length < 2) throw new NfcError("apdu", `${what}: answer of ${answer.length} bytes has no status word`);
  return (answer[answer.length - 2] << 8) | answer[answer.length - 1];
}

function expectOk(answer: Uint8Array, what: string): Uint8Array {
  const sw = statusWord(answer, what);
  if (sw !== SW.OK) throw new NfcError(sw === SW.NOT_FOUND && what.startsWith("SELECT") ? "not-ndef" : "apdu", `${what}: status word ${sw.toString(16).toUpperCase()}`);
  return answer.subarray(0, answer.length - 2);
}

type Step = "select-app" | "select-ppse" | "select-cc" | "read-cc" | "select-ndef" | "read-nlen" | "read-ndef";

/**
 * Reads a Type 4 tag's NDEF message, or, from an ISO-DEP card without the NDEF application, the
 * payment application its PPSE directory prefers. `maxNdefBytes` bounds what the device will
 * read (it refuses larger messages rather than allocate for them).
 */
export class Type4Procedure implements TagProcedure {
  readonly #maxNdefBytes: number;
  #step: Step = "select-app";
  #cc: Type4Cc | undefined;
  #message: Uint8Array | undefined;
  #offset = 0;
  ndef: Uint8Array | undefined;
  /** The AID of the payment application, when the card has no NDEF application but a PPSE. */
  application: Uint8Array | undefined;

  constructor(maxNdefBytes: number) {
    this.#maxNdefBytes = maxNdefBytes;
  }

  /** A READ BINARY answer (what this procedure asks for, at most MLe and 240 bytes) and its status word. */
  get answerBytes(): number {
    if (this.#step === "select-ppse") return MAX_READ + 2;
    return (this.#cc ? this.#chunk() : T4T.CC_LENGTH) + 2;
  }

  begin(out: Uint8Array): number {
    this.#cc = this.#message = this.ndef = this.application = undefined;
    this.#step = "select-app";
    out.set([T4T.CLA, T4T.SELECT, T4T.BY_NAME, 0x00, NDEF_APPLICATION.length], 0);
    out.set(NDEF_APPLICATION, 5);
    out[5 + NDEF_APPLICATION.length] = 0x00;
    return 6 + NDEF_APPLICATION.length;
  }

  next(answer: Uint8Array, out: Uint8Array): number {
    switch (this.#step) {
      case "select-app":
        if (statusWord(answer, "SELECT NDEF Tag Application") === SW.NOT_FOUND) {
          this.#step = "select-ppse";
          return selectPpse(out);
        }
        expectOk(answer, "SELECT NDEF Tag Application");
        return this.#select("select-cc", T4T.CC_FILE, out);
      case "select-ppse": {
        const sw = statusWord(answer, "SELECT PPSE");
        // Neither an NDEF tag nor a payment card: an ISO-DEP card of some other application.
        if (sw !== SW.OK) throw new NfcError("not-ndef", `no NDEF Tag Application (6A82) and no payment directory (${sw.toString(16).toUpperCase()})`);
        this.application = preferredApplication(answer.subarray(0, answer.length - 2));
        return 0;
      }
      case "select-cc":
        expectOk(answer, "SELECT CC file");
        this.#step = "read-cc";
        return readBinary(0, T4T.CC_LENGTH, out);
      case "read-cc": {
        const cc = parseType4Cc(expectOk(answer, "READ BINARY CC file"));
        this.#cc = cc;
        return this.#select("select-ndef", cc.ndefFile, out);
      }
      case "select-ndef":
        expectOk(answer, "SELECT NDEF file");
        this.#step = "read-nlen";
        return readBinary(0, 2, out);
      case "read-nlen": {
        const data = expectOk(answer, "READ BINARY NLEN");
        if (data.length !== 2) throw new NfcError("apdu", `NLEN read answered ${data.length} bytes, expected 2`);
        const nlen = (data[0] << 8) | data[1];
        const cc = this.#cc as Type4Cc;
        if (nlen === 0) throw new NfcError("not-ndef", "NLEN is 0: the tag holds no NDEF message");
        if (nlen > cc.ndefMaxBytes - 2) throw new NfcError("ndef", `NLEN ${nlen} exceeds the NDEF file's ${cc.ndefMaxBytes - 2} bytes of room`);
        if (nlen > this.#maxNdefBytes) throw new NfcError("too-large", `NDEF message of ${nlen} bytes exceeds the ${this.#maxNdefBytes} the device reads`);
        this.#message = new Uint8Array(nlen);
        this.#offset = 0;
        this.#step = "read-ndef";
        return this.#readMore(out);
      }
      case "read-ndef": {
        const data = expectOk(answer, "READ BINARY NDEF file");
        const message = this.#message as Uint8Array;
        const wanted = Math.min(this.#chunk(), message.length - this.#offset);
        if (data.length === 0 || data.length > wanted) throw new NfcError("apdu", `READ BINARY at ${this.#offset + 2} answered ${data.length} bytes, asked for ${wanted}`);
        message.set(data, this.#offset);
        this.#offset += data.length;
        if (this.#offset < message.length) return this.#readMore(out);
        this.ndef = message;
        return 0;
      }
    }
  }

  #chunk(): number {
    return Math.min(MAX_READ, (this.#cc as Type4Cc).mle);
  }

  #readMore(out: Uint8Array): number {
    const message = this.#message as Uint8Array;
    return readBinary(2 + this.#offset, Math.min(this.#chunk(), message.length - this.#offset), out);
  }

  #select(step: Step, file: number, out: Uint8Array): number {
    this.#step = step;
    out.set([T4T.CLA, T4T.SELECT, T4T.BY_FILE_ID, T4T.FIRST_OR_ONLY, 2, file >> 8, file & 0xff], 0);
    return 7;
  }
}

function readBinary(offset: number, length: number, out: Uint8Array): number {
  out[0] = T4T.CLA;
  out[1] = T4T.READ_BINARY;
  out[2] = (offset >> 8) & 0x7f;
  out[3] = offset & 0xff;
  out[4] = length & 0xff;
  return 5;
}

/**
 * The card side: a read-only Type 4 tag holding one NDEF message, answering command APDUs the
 * PN532 hands over in target mode (TgGetData) with response APDUs (TgSetData). Its files live in
 * buffers allocated once.
 */
export class Type4Emulator {
  readonly #cc = new Uint8Array(T4T.CC_LENGTH);
  readonly #ndef: Uint8Array;
  #ndefLength = 2;
  #applicationSelected = false;
  #file: "none" | "cc" | "ndef" = "none";
  /** True once a reader has read the NDEF file to its last byte since `reset`. */
  delivered = false;

  constructor(maxMessageBytes: number) {
    if (maxMessageBytes + 2 > 0x7fff) throw new RangeError("an NDEF file is at most 32767 bytes");
    this.#ndef = new Uint8Array(2 + maxMessageBytes);
    const cc = this.#cc;
    const size = this.#ndef.length;
    cc.set([0x00, T4T.CC_LENGTH, T4T.MAPPING_VERSION, 0x00, MAX_READ, 0x00, 0xff, T4T.NDEF_FILE_CONTROL, 6], 0);
    cc.set([T4T.NDEF_FILE >> 8, T4T.NDEF_FILE & 0xff, size >> 8, size & 0xff, 0x00, 0xff], 9);
  }

  /** Replaces the message (a reader mid-way sees the new one on its next read). */
  setMessage(message: Uint8Array): void {
    if (message.length + 2 > this.#ndef.length) throw new NfcError("too-large", `NDEF message of ${message.length} bytes exceeds the emulated file's ${this.#ndef.length - 2}`);
    this.#ndef[0] = message.length >> 8;
    this.#ndef[1] = message.length & 0xff;
    this.#ndef.set(message, 2);
    this.#ndefLength = 2 + message.length;
  }

  /** A new reader: nothing selected. */
  reset(): void {
    this.#applicationSelected = false;
    this.#file = "none";
    this.delivered = false;
  }

  /** Answers one command APDU into `out` (at least 258 bytes); returns the response length. */
  respond(command: Uint8Array, out: Uint8Array): number {
    if (command.length < 4) return status(out, 0, SW.WRONG_LENGTH);
    if (command[0] !== T4T.CLA) return status(out, 0, SW.CLA_UNKNOWN);
    const ins = command[1];
    const p1 = command[2];
    const p2 = command[3];
    if (ins === T4T.SELECT) return this.#select(command, p1, p2, out);
    if (ins === T4T.READ_BINARY) return this.#read(command, p1, p2, out);
    if (ins === T4T.UPDATE_BINARY) return status(out, 0, SW.SECURITY);
    return status(out, 0, SW.INS_UNKNOWN);
  }

  #select(command: Uint8Array, p1: number, p2: number, out: Uint8Array): number {
    if (command.length < 5) return status(out, 0, SW.WRONG_LENGTH);
    const lc = command[4];
    if (command.length < 5 + lc) return status(out, 0, SW.WRONG_LENGTH);
    const data = command.subarray(5, 5 + lc);
    if (p1 === T4T.BY_NAME) {
      if (!equalBytes(data, NDEF_APPLICATION)) {
        this.#applicationSelected = false;
        return status(out, 0, SW.NOT_FOUND);
      }
      this.#applicationSelected = true;
      this.#file = "none";
      return status(out, 0, SW.OK);
    }
    if (p1 !== T4T.BY_FILE_ID || (p2 !== T4T.FIRST_OR_ONLY && p2 !== 0x00) || lc !== 2) return status(out, 0, SW.WRONG_PARAMS);
    if (!this.#applicationSelected) return status(out, 0, SW.NOT_FOUND);
    const file = (data[0] << 8) | data[1];
    if (file === T4T.CC_FILE) this.#file = "cc";
    else if (file === T4T.NDEF_FILE) this.#file = "ndef";
    else return status(out, 0, SW.NOT_FOUND);
    return status(out, 0, SW.OK);
  }

  #read(command: Uint8Array, p1: number, p2: number, out: Uint8Array): number {
    if (this.#file === "none") return status(out, 0, SW.NO_CURRENT_EF);
    if (p1 & 0x80) return status(out, 0, SW.WRONG_PARAMS);
    const offset = (p1 << 8) | p2;
    const file = this.#file === "cc" ? this.#cc : this.#ndef;
    const size = this.#file === "cc" ? this.#cc.length : this.#ndefLength;
    if (offset > size) return status(out, 0, SW.WRONG_PARAMS);
    const le = command.length >= 5 ? command[4] || 256 : 256;
    const count = Math.min(le, MAX_READ, size - offset);
    out.set(file.subarray(offset, offset + count), 0);
    if (this.#file === "ndef" && offset + count >= size && size > 2) this.delivered = true;
    return status(out, count, SW.OK);
  }
}

function status(out: Uint8Array, at: number, sw: number): number {
  out[at] = sw >> 8;
  out[at + 1] = sw & 0xff;
  return at + 2;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
