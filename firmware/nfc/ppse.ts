/**
 * The contactless payment directory (EMV Book 1 §11.3.4 and §12.3.2, EMV Contactless Book B): a
 * payment card or a phone wallet answers SELECT "2PAY.SYS.DDF01" (the PPSE) with an FCI template
 * that lists its payment applications by AID. The QR display runs no EMV kernel: it reads the
 * directory only to tell a payment instrument from a tag, and reports the application it would
 * select with the tap, for the payment service to decide.
 *
 *   6F  FCI template
 *       84  DF name "2PAY.SYS.DDF01"
 *       A5  FCI proprietary template
 *           BF0C  FCI issuer discretionary data
 *                 61  directory entry, one per application: 4F AID (5-16 bytes), 50 label?, 87 priority?
 */
import { NfcError } from "./errors";

/** "2PAY.SYS.DDF01" in ASCII. */
export const PPSE_NAME: Uint8Array = Uint8Array.of(0x32, 0x50, 0x41, 0x59, 0x2e, 0x53, 0x59, 0x53, 0x2e, 0x44, 0x44, 0x46, 0x30, 0x31);

const TAG = Object.freeze({ FCI: 0x6f, PROPRIETARY: 0xa5, DISCRETIONARY: 0xbf0c, ENTRY: 0x61, AID: 0x4f, PRIORITY: 0x87 });

/** Writes SELECT PPSE by name (first or only occurrence, Le 00) into `out`; returns its length. */
export function selectPpse(out: Uint8Array): number {
  out.set([0x00, 0xa4, 0x04, 0x00, PPSE_NAME.length], 0);
  out.set(PPSE_NAME, 5);
  out[5 + PPSE_NAME.length] = 0x00;
  return 6 + PPSE_NAME.length;
}

interface Tlv {
  tag: number;
  value: Uint8Array;
}

/** The BER-TLV objects laid end to end in `bytes`, one level deep. Throws NfcError("apdu") past the end. */
function tlvs(bytes: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let at = 0;
  while (at < bytes.length) {
    // Padding between objects (EMV Book 3 §B1).
    if (bytes[at] === 0x00 || bytes[at] === 0xff) {
      at++;
      continue;
    }
    let tag = bytes[at++];
    if ((tag & 0x1f) === 0x1f) {
      do {
        if (at >= bytes.length) throw new NfcError("apdu", "PPSE: a tag runs past the end of the answer");
        tag = tag * 256 + bytes[at];
      } while (bytes[at++] & 0x80);
    }
    if (at >= bytes.length) throw new NfcError("apdu", `PPSE: tag ${tag.toString(16)} has no length`);
    let length = bytes[at++];
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count < 1 || count > 2 || at + count > bytes.length) throw new NfcError("apdu", `PPSE: tag ${tag.toString(16)} has a length of ${count} bytes`);
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + bytes[at++];
    }
    if (at + length > bytes.length) throw new NfcError("apdu", `PPSE: tag ${tag.toString(16)} declares ${length} bytes, ${bytes.length - at} follow`);
    out.push({ tag, value: bytes.subarray(at, at + length) });
    at += length;
  }
  return out;
}

function child(parent: Uint8Array, tag: number, what: string): Uint8Array {
  for (const item of tlvs(parent)) if (item.tag === tag) return item.value;
  throw new NfcError("apdu", `PPSE: no ${what} (tag ${tag.toString(16).toUpperCase()})`);
}

/**
 * The AID a terminal would select from a PPSE answer (its data, without the status word): the
 * entry with the highest priority (87, 1 highest; entries without one rank last), the first of
 * equals. Throws NfcError("apdu") for an answer that is not a directory with an application.
 */
export function preferredApplication(fci: Uint8Array): Uint8Array {
  const directory = child(child(child(fci, TAG.FCI, "FCI template"), TAG.PROPRIETARY, "FCI proprietary template"), TAG.DISCRETIONARY, "directory");
  let best: Uint8Array | undefined;
  let bestRank = 17;
  for (const entry of tlvs(directory)) {
    if (entry.tag !== TAG.ENTRY) continue;
    let aid: Uint8Array | undefined;
    let rank = 16;
    for (const item of tlvs(entry.value)) {
      if (item.tag === TAG.AID) aid = item.value;
      // Bits 4-1 of the priority indicator; 0 means no priority given.
      else if (item.tag === TAG.PRIORITY && item.value.length === 1 && (item.value[0] & 0x0f) !== 0) rank = item.value[0] & 0x0f;
    }
    if (!aid || aid.length < 5 || aid.length > 16) throw new NfcError("apdu", "PPSE: a directory entry without an AID of 5-16 bytes");
    if (rank < bestRank) {
      best = aid;
      bestRank = rank;
    }
  }
  if (!best) throw new NfcError("apdu", "PPSE: the directory names no application");
  return best.slice();
}
