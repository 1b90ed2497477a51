/**
 * NFC Forum Type 2 tags (NTAG21x, MIFARE Ultralight), Type 2 Tag Operation 1.x:
 *
 *   bytes 0..11   UID, internal bytes, static lock bytes
 *   bytes 12..15  capability container: E1 (NDEF magic), version, data area size / 8, access
 *   bytes 16..    data area: TLV blocks
 *
 * TLVs: 00 NULL, 01 Lock Control, 02 Memory Control, 03 NDEF Message, FD proprietary, FE
 * terminator; lengths are one byte, or FF and two bytes. Lock and Memory Control TLVs mark bytes
 * inside the data area that belong to the tag (lock bits, reserved memory): TLVs flow around
 * them. READ (0x30, page) answers 16 bytes, four pages.
 */
import { hexByte, NfcError } from "./errors";
import type { TagProcedure } from "./procedure";

export const T2T = Object.freeze({
  READ: 0x30,
  PAGE_BYTES: 4,
  READ_BYTES: 16,
  CC_PAGE: 3,
  DATA_START: 16,
  CC_MAGIC: 0xe1,
  MAJOR_VERSION: 1,
});

export const TLV = Object.freeze({
  NULL: 0x00,
  LOCK_CONTROL: 0x01,
  MEMORY_CONTROL: 0x02,
  NDEF: 0x03,
  PROPRIETARY: 0xfd,
  TERMINATOR: 0xfe,
});

export interface Type2Cc {
  major: number;
  minor: number;
  /** Size of the data area in bytes (CC2 x 8). */
  dataBytes: number;
  readAccess: number;
  writeAccess: number;
}

export function parseType2Cc(cc: Uint8Array): Type2Cc {
  if (cc.length < 4) throw new NfcError("cc", `capability container is 4 bytes, got ${cc.length}`);
  if (cc[0] !== T2T.CC_MAGIC) throw new NfcError("not-ndef", `capability container magic ${hexByte(cc[0])} is not 0xE1: the tag is not NDEF formatted`);
  const major = cc[1] >> 4;
  if (major !== T2T.MAJOR_VERSION) throw new NfcError("cc", `Type 2 mapping version ${major}.${cc[1] & 0x0f} is not 1.x`);
  const readAccess = cc[3] >> 4;
  if (readAccess !== 0) throw new NfcError("cc", `read access ${hexByte(readAccess)} does not grant reading`);
  if (cc[2] === 0) throw new NfcError("cc", "capability container declares an empty data area");
  return { major, minor: cc[1] & 0x0f, dataBytes: cc[2] * 8, readAccess, writeAccess: cc[3] & 0x0f };
}

/** Where an NDEF TLV's value lies; `reserved` are [from, to) address ranges it flows around. */
export interface NdefTlv {
  start: number;
  length: number;
  reserved: number[];
}

export type TlvScanResult = { kind: "ndef"; tlv: NdefTlv } | { kind: "need"; address: number };

/**
 * Walks the TLVs of a data area held in `memory` (index = tag byte address), of which bytes below
 * `loaded` are valid. Returns the NDEF TLV, or the address that must be read next; throws when
 * there is no NDEF message or a TLV does not fit.
 */
export function scanType2Tlvs(memory: Uint8Array, loaded: number, cc: Type2Cc): TlvScanResult {
  const end = T2T.DATA_START + cc.dataBytes;
  const reserved: number[] = [];
  const skip = (address: number): number => {
    for (let moved = true; moved; ) {
      moved = false;
      for (let i = 0; i < reserved.length; i += 2)
        if (address >= reserved[i] && address < reserved[i + 1]) {
          address = reserved[i + 1];
          moved = true;
        }
    }
    return address;
  };
  const next = (address: number) => skip(address + 1);
  let at = skip(T2T.DATA_START);
  for (;;) {
    if (at >= end) throw new NfcError("tlv", `the ${cc.dataBytes}-byte data area ends without an NDEF TLV or a terminator TLV`);
    if (at >= loaded) return { kind: "need", address: at };
    const type = memory[at];
    if (type === TLV.NULL) {
      at = next(at);
      continue;
    }
    if (type === TLV.TERMINATOR) throw new NfcError("not-ndef", `terminator TLV at byte ${at} before any NDEF TLV: the tag holds no NDEF message`);
    let cursor = next(at);
    if (cursor >= end) throw new NfcError("tlv", `TLV ${hexByte(type)} at byte ${at} has no length byte before the data area ends`);
    if (cursor >= loaded) return { kind: "need", address: cursor };
    let length = memory[cursor];
    if (length === 0xff) {
      const high = next(cursor);
      const low = next(high);
      if (low >= end) throw new NfcError("tlv", `TLV ${hexByte(type)} at byte ${at}: 3-byte length runs past the data area`);
      if (low >= loaded) return { kind: "need", address: low };
      length = (memory[high] << 8) | memory[low];
      if (length === 0xffff) throw new NfcError("tlv", `TLV ${hexByte(type)} at byte ${at}: length 0xFFFF is reserved`);
      cursor = low;
    }
    const valueStart = next(cursor);
    // The value's last byte, walking around reserved areas.
    let last = cursor;
    for (let i = 0; i < length; i++) {
      last = next(last);
      if (last >= end)
        throw new NfcError("tlv", `TLV ${hexByte(type)} at byte ${at} declares ${length} bytes; the data area ends after ${i} of them`);
    }
    if (type === TLV.NDEF) {
      if (length === 0) throw new NfcError("not-ndef", `NDEF TLV at byte ${at} is empty: the tag holds no NDEF message`);
      if (last >= loaded) return { kind: "need", address: loaded };
      return { kind: "ndef", tlv: { start: valueStart, length, reserved } };
    }
    if (type === TLV.LOCK_CONTROL || type === TLV.MEMORY_CONTROL) {
      if (length !== 3) throw new NfcError("tlv", `${type === TLV.LOCK_CONTROL ? "Lock" : "Memory"} Control TLV at byte ${at} has length ${length}, not 3`);
      if (last >= loaded) return { kind: "need", address: loaded };
      const position = memory[valueStart];
      const size = memory[next(valueStart)];
      const pageControl = memory[next(next(valueStart))];
      // Position: page address (high nibble) and byte offset (low nibble); page size 2^(low nibble of page control).
      const from = (position >> 4) * (1 << (pageControl & 0x0f)) + (position & 0x0f);
      // Lock Control counts bits, Memory Control bytes; 0 means 256.
      const count = size === 0 ? 256 : size;
      const bytes = type === TLV.LOCK_CONTROL ? Math.ceil(count / 8) : count;
      reserved.push(from, from + bytes);
    }
    at = next(last);
  }
}

/** Copies the NDEF TLV's value out of `memory`, around the reserved ranges. */
export function extractNdef(memory: Uint8Array, tlv: NdefTlv): Uint8Array {
  const out = new Uint8Array(tlv.length);
  let address = tlv.start;
  for (let i = 0; i < tlv.length; i++) {
    for (let k = 0; k < tlv.reserved.length; k += 2) if (address >= tlv.reserved[k] && address < tlv.reserved[k + 1]) address = tlv.reserved[k + 1];
    out[i] = memory[address++];
  }
  return out;
}

/**
 * Reads a Type 2 tag's NDEF message: READ page 3 (CC and the first data bytes), then further
 * READs until the NDEF TLV is whole. `memory` is the reader's buffer, reused for every tag; its
 * size bounds the data area the device will read.
 */
export class Type2Procedure implements TagProcedure {
  readonly #memory: Uint8Array;
  #cc: Type2Cc | undefined;
  #loaded = 0;
  #page = 0;
  ndef: Uint8Array | undefined;
  readonly answerBytes = T2T.READ_BYTES;

  constructor(memory: Uint8Array) {
    this.#memory = memory;
  }

  begin(out: Uint8Array): number {
    this.#cc = undefined;
    this.#loaded = 0;
    this.ndef = undefined;
    return this.#read(T2T.CC_PAGE, out);
  }

  next(answer: Uint8Array, out: Uint8Array): number {
    if (answer.length !== T2T.READ_BYTES) throw new NfcError("bad-response", `READ of page ${this.#page} answered ${answer.length} bytes, expected 16`);
    const memory = this.#memory;
    const address = this.#page * T2T.PAGE_BYTES;
    const fits = Math.max(0, Math.min(T2T.READ_BYTES, memory.length - address));
    memory.set(answer.subarray(0, fits), address);
    this.#loaded = address + fits;
    if (!this.#cc) this.#cc = parseType2Cc(memory.subarray(12, 16));
    const result = scanType2Tlvs(memory, this.#loaded, this.#cc);
    if (result.kind === "ndef") {
      this.ndef = extractNdef(memory, result.tlv);
      return 0;
    }
    if (result.address >= memory.length)
      throw new NfcError("too-large", `the NDEF TLV reaches past byte ${memory.length}, more than the device reads from a Type 2 tag`);
    return this.#read(Math.floor(result.address / T2T.PAGE_BYTES), out);
  }

  #read(page: number, out: Uint8Array): number {
    this.#page = page;
    out[0] = T2T.READ;
    out[1] = page;
    return 2;
  }
}
