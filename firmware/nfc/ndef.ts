/**
 * NDEF messages (NFC Forum NDEF 1.0): records with short or long payload lengths, optional IDs,
 * chunked payloads, and the record types the product reads and writes: well-known URI ("U", with
 * the URI RTD's prefix codes) and Text ("T", with its language), MIME media types, absolute URIs
 * and NFC Forum external types.
 *
 * Header byte: MB 0x80 (message begin), ME 0x40 (message end), CF 0x20 (chunk flag), SR 0x10
 * (short record: 1-byte payload length, else 4 bytes), IL 0x08 (ID length present), TNF in bits
 * 2..0. Then TYPE LENGTH, PAYLOAD LENGTH, [ID LENGTH], TYPE, [ID], PAYLOAD.
 *
 * Decoding checks every length against the bytes that are really there before it slices, so a
 * record that declares a megabyte is refused with the numbers, not allocated.
 */
import { utf8Decode, utf8Encode } from "../protocol/bytes";
import { hexByte, NfcError } from "./errors";

/** Type Name Format, NDEF 1.0 section 3.2.6. */
export const TNF = Object.freeze({
  EMPTY: 0x00,
  WELL_KNOWN: 0x01,
  MEDIA: 0x02,
  ABSOLUTE_URI: 0x03,
  EXTERNAL: 0x04,
  UNKNOWN: 0x05,
  UNCHANGED: 0x06,
  RESERVED: 0x07,
});

export const TNF_NAMES = ["empty", "well-known", "media", "absolute-uri", "external", "unknown", "unchanged", "reserved"] as const;

export const HEADER = Object.freeze({ MB: 0x80, ME: 0x40, CF: 0x20, SR: 0x10, IL: 0x08, TNF_MASK: 0x07 });

export interface NdefRecord {
  tnf: number;
  type: Uint8Array;
  id: Uint8Array;
  payload: Uint8Array;
}

export interface NdefLimits {
  maxRecords: number;
  /** Largest payload of one record, chunks joined. */
  maxPayloadBytes: number;
}

/** A NTAG216 holds 868 bytes of NDEF, a Type 4 file up to 32 KB; the device reads far less. */
export const DEFAULT_NDEF_LIMITS: NdefLimits = Object.freeze({ maxRecords: 32, maxPayloadBytes: 8192 });

function fail(message: string): never {
  throw new NfcError("ndef", message);
}

/** Decodes a whole NDEF message; chunked records come back joined. */
export function decodeNdef(bytes: Uint8Array, limits: NdefLimits = DEFAULT_NDEF_LIMITS): NdefRecord[] {
  if (bytes.length === 0) fail("an NDEF message needs at least one record; got 0 bytes");
  const records: NdefRecord[] = [];
  let at = 0;
  let index = 0;
  let chunks: Uint8Array[] | undefined;
  let chunked: { tnf: number; type: Uint8Array; id: Uint8Array; bytes: number } | undefined;
  for (;;) {
    const where = `record ${index} at byte ${at}`;
    if (at >= bytes.length) fail(`${where}: the message ends without a record flagged ME`);
    const header = bytes[at];
    const tnf = header & HEADER.TNF_MASK;
    const mb = (header & HEADER.MB) !== 0;
    const me = (header & HEADER.ME) !== 0;
    const cf = (header & HEADER.CF) !== 0;
    const sr = (header & HEADER.SR) !== 0;
    const il = (header & HEADER.IL) !== 0;
    if (index === 0 && !mb) fail(`${where}: the first record must have MB set (header ${hexByte(header)})`);
    if (index > 0 && mb) fail(`${where}: MB set on a record that is not the first`);
    const fixed = 2 + (sr ? 1 : 4) + (il ? 1 : 0);
    if (at + fixed > bytes.length) fail(`${where}: header needs ${fixed} bytes, ${bytes.length - at} left`);
    const typeLength = bytes[at + 1];
    let payloadLength: number;
    if (sr) payloadLength = bytes[at + 2];
    else payloadLength = bytes[at + 2] * 0x1000000 + ((bytes[at + 3] << 16) | (bytes[at + 4] << 8) | bytes[at + 5]);
    const idLength = il ? bytes[at + fixed - 1] : 0;
    const body = at + fixed;
    const left = bytes.length - body;
    if (typeLength > left) fail(`${where}: type length ${typeLength} runs past the end (${left} bytes left)`);
    if (typeLength + idLength > left) fail(`${where}: ID length ${idLength} runs past the end (${left - typeLength} bytes left)`);
    if (payloadLength > left - typeLength - idLength)
      fail(`${where}: payload length ${payloadLength} runs past the end (${left - typeLength - idLength} bytes left)`);
    if (payloadLength > limits.maxPayloadBytes) fail(`${where}: payload of ${payloadLength} bytes exceeds the limit of ${limits.maxPayloadBytes}`);
    const type = bytes.subarray(body, body + typeLength);
    const id = bytes.subarray(body + typeLength, body + typeLength + idLength);
    const payload = bytes.subarray(body + typeLength + idLength, body + typeLength + idLength + payloadLength);
    at = body + typeLength + idLength + payloadLength;

    if (tnf === TNF.RESERVED) fail(`${where}: TNF 0x07 is reserved`);
    if (chunked) {
      // A middle or last chunk: NDEF 1.0 section 2.3.3.
      if (tnf !== TNF.UNCHANGED) fail(`${where}: a following chunk must have TNF 0x06 (unchanged), got ${hexByte(tnf)}`);
      if (typeLength !== 0) fail(`${where}: a following chunk must have no type, got ${typeLength} bytes`);
      if (il) fail(`${where}: a following chunk must have no ID`);
      chunked.bytes += payloadLength;
      if (chunked.bytes > limits.maxPayloadBytes) fail(`${where}: chunked payload of ${chunked.bytes}+ bytes exceeds the limit of ${limits.maxPayloadBytes}`);
      (chunks as Uint8Array[]).push(payload);
      if (!cf) {
        records.push({ tnf: chunked.tnf, type: chunked.type.slice(), id: chunked.id.slice(), payload: joined(chunks as Uint8Array[], chunked.bytes) });
        chunked = undefined;
        chunks = undefined;
      } else if (me) fail(`${where}: ME set on a chunk that is not the last (CF set)`);
    } else {
      if (tnf === TNF.UNCHANGED) fail(`${where}: TNF 0x06 (unchanged) outside a chunked record`);
      checkTypeRules(where, tnf, typeLength, idLength, payloadLength);
      if (cf) {
        if (me) fail(`${where}: ME set on the first chunk of a chunked record`);
        chunked = { tnf, type, id, bytes: payloadLength };
        chunks = [payload];
      } else {
        records.push({ tnf, type: type.slice(), id: id.slice(), payload: payload.slice() });
      }
    }
    if (records.length > limits.maxRecords) fail(`${where}: more than ${limits.maxRecords} records`);
    index++;
    if (me) {
      if (at !== bytes.length) fail(`${bytes.length - at} bytes follow the record flagged ME (at byte ${at})`);
      return records;
    }
  }
}

function checkTypeRules(where: string, tnf: number, typeLength: number, idLength: number, payloadLength: number): void {
  if (tnf === TNF.EMPTY && (typeLength !== 0 || idLength !== 0 || payloadLength !== 0))
    fail(`${where}: an empty record (TNF 0x00) must have no type, ID or payload`);
  if (tnf === TNF.UNKNOWN && typeLength !== 0) fail(`${where}: an unknown-type record (TNF 0x05) must have no type`);
  if ((tnf === TNF.WELL_KNOWN || tnf === TNF.MEDIA || tnf === TNF.ABSOLUTE_URI || tnf === TNF.EXTERNAL) && typeLength === 0)
    fail(`${where}: TNF ${hexByte(tnf)} needs a type`);
}

function joined(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export interface EncodeOptions {
  /** Split payloads longer than this into chunks (NDEF 1.0 section 2.3.3). */
  chunkSize?: number;
}

/** Encodes records as one message: MB on the first, ME on the last, SR and IL where they fit. */
export function encodeNdef(records: readonly NdefRecord[], options: EncodeOptions = {}): Uint8Array {
  if (records.length === 0) fail("an NDEF message needs at least one record");
  const chunkSize = options.chunkSize;
  if (chunkSize !== undefined && !(Number.isInteger(chunkSize) && chunkSize >= 1)) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  const parts: Uint8Array[] = [];
  records.forEach((record, index) => {
    const where = `record ${index}`;
    if (!(record.tnf >= 0 && record.tnf <= TNF.UNKNOWN)) fail(`${where}: TNF ${record.tnf} cannot be encoded (0 to 5)`);
    if (record.type.length > 255) fail(`${where}: type of ${record.type.length} bytes exceeds 255`);
    if (record.id.length > 255) fail(`${where}: ID of ${record.id.length} bytes exceeds 255`);
    checkTypeRules(where, record.tnf, record.type.length, record.id.length, record.payload.length);
    const first = index === 0;
    const last = index === records.length - 1;
    if (chunkSize === undefined || record.payload.length <= chunkSize) {
      parts.push(encodeOne(record.tnf, record.type, record.id, record.payload, first, last, false));
      return;
    }
    for (let offset = 0; offset < record.payload.length; offset += chunkSize) {
      const piece = record.payload.subarray(offset, offset + chunkSize);
      const head = offset === 0;
      const tail = offset + chunkSize >= record.payload.length;
      const empty = new Uint8Array(0);
      parts.push(encodeOne(head ? record.tnf : TNF.UNCHANGED, head ? record.type : empty, head ? record.id : empty, piece, first && head, last && tail, !tail));
    }
  });
  return joined(parts, parts.reduce((sum, part) => sum + part.length, 0));
}

function encodeOne(tnf: number, type: Uint8Array, id: Uint8Array, payload: Uint8Array, mb: boolean, me: boolean, cf: boolean): Uint8Array {
  const short = payload.length <= 255;
  const il = id.length > 0;
  const out = new Uint8Array(2 + (short ? 1 : 4) + (il ? 1 : 0) + type.length + id.length + payload.length);
  out[0] = (mb ? HEADER.MB : 0) | (me ? HEADER.ME : 0) | (cf ? HEADER.CF : 0) | (short ? HEADER.SR : 0) | (il ? HEADER.IL : 0) | tnf;
  out[1] = type.length;
  let at = 2;
  if (short) out[at++] = payload.length;
  else {
    const n = payload.length;
    out[at++] = Math.floor(n / 0x1000000) & 0xff;
    out[at++] = (n >> 16) & 0xff;
    out[at++] = (n >> 8) & 0xff;
    out[at++] = n & 0xff;
  }
  if (il) out[at++] = id.length;
  out.set(type, at);
  out.set(id, at + type.length);
  out.set(payload, at + type.length + id.length);
  return out;
}

function ascii(text: string, what: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) fail(`${what} ${JSON.stringify(text)} has a character outside printable ASCII at ${i}`);
    out[i] = code;
  }
  return out;
}

function asciiText(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

function sameBytes(bytes: Uint8Array, text: string): boolean {
  if (bytes.length !== text.length) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}

/** URI identifier codes, NFC Forum URI RTD 1.0 section 3.2.2 table 3; the index is the code. */
export const URI_PREFIXES: readonly string[] = Object.freeze([
  "", "http://www.", "https://www.", "http://", "https://", "tel:", "mailto:", "ftp://anonymous:anonymous@",
  "ftp://ftp.", "ftps://", "sftp://", "smb://", "nfs://", "ftp://", "dav://", "news:",
  "telnet://", "imap:", "rtsp://", "urn:", "pop:", "sip:", "sips:", "tftp:",
  "btspp://", "btl2cap://", "btgoep://", "tcpobex://", "irdaobex://", "file://", "urn:epc:id:", "urn:epc:tag:",
  "urn:epc:pat:", "urn:epc:raw:", "urn:epc:", "urn:nfc:",
]);

export function isWellKnown(record: NdefRecord, type: string): boolean {
  return record.tnf === TNF.WELL_KNOWN && sameBytes(record.type, type);
}

/** A well-known URI record, with the longest matching prefix abbreviated. */
export function uriRecord(uri: string): NdefRecord {
  let code = 0;
  for (let i = 1; i < URI_PREFIXES.length; i++)
    if (uri.startsWith(URI_PREFIXES[i]) && URI_PREFIXES[i].length > URI_PREFIXES[code].length) code = i;
  const rest = utf8Encode(uri.slice(URI_PREFIXES[code].length));
  const payload = new Uint8Array(1 + rest.length);
  payload[0] = code;
  payload.set(rest, 1);
  return { tnf: TNF.WELL_KNOWN, type: Uint8Array.of(0x55), id: new Uint8Array(0), payload };
}

export function parseUri(record: NdefRecord): string {
  if (!isWellKnown(record, "U")) fail("not a well-known URI record");
  if (record.payload.length === 0) fail("URI record with an empty payload (no identifier code)");
  const code = record.payload[0];
  if (code >= URI_PREFIXES.length) fail(`URI identifier code ${hexByte(code)} is reserved`);
  const rest = utf8Decode(record.payload.subarray(1));
  if (rest === undefined) fail("URI record field is not valid UTF-8");
  return URI_PREFIXES[code] + rest;
}

/** Text record status byte, NFC Forum Text RTD 1.0 section 3.2.1. */
const TEXT_UTF16 = 0x80;
const TEXT_RFU = 0x40;
const TEXT_LANG_MASK = 0x3f;

export interface TextContent {
  text: string;
  /** IANA language tag, e.g. "en", "hi-IN". */
  lang: string;
  encoding: "utf-8" | "utf-16";
}

export function textRecord(text: string, lang = "en"): NdefRecord {
  const langBytes = ascii(lang, "language code");
  if (langBytes.length === 0 || langBytes.length > TEXT_LANG_MASK) fail(`language code must be 1 to 63 characters, got ${langBytes.length}`);
  const body = utf8Encode(text);
  const payload = new Uint8Array(1 + langBytes.length + body.length);
  payload[0] = langBytes.length;
  payload.set(langBytes, 1);
  payload.set(body, 1 + langBytes.length);
  return { tnf: TNF.WELL_KNOWN, type: Uint8Array.of(0x54), id: new Uint8Array(0), payload };
}

export function parseText(record: NdefRecord): TextContent {
  if (!isWellKnown(record, "T")) fail("not a well-known Text record");
  const p = record.payload;
  if (p.length === 0) fail("Text record with an empty payload (no status byte)");
  const status = p[0];
  if (status & TEXT_RFU) fail(`Text record status ${hexByte(status)} sets the reserved bit 6`);
  const langLength = status & TEXT_LANG_MASK;
  if (langLength === 0) fail("Text record without a language code");
  if (1 + langLength > p.length) fail(`Text record language code of ${langLength} bytes runs past the ${p.length}-byte payload`);
  const lang = asciiText(p.subarray(1, 1 + langLength));
  const body = p.subarray(1 + langLength);
  if (status & TEXT_UTF16) return { text: utf16Decode(body), lang, encoding: "utf-16" };
  const text = utf8Decode(body);
  if (text === undefined) fail("Text record text is not valid UTF-8");
  return { text, lang, encoding: "utf-8" };
}

/** UTF-16 with an optional byte order mark; big-endian without one (Text RTD section 3.4). */
function utf16Decode(bytes: Uint8Array): string {
  if (bytes.length % 2 !== 0) fail(`UTF-16 text of ${bytes.length} bytes is not a whole number of code units`);
  let little = false;
  let at = 0;
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) [little, at] = [true, 2];
  else if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) at = 2;
  let text = "";
  for (; at < bytes.length; at += 2) text += String.fromCharCode(little ? bytes[at] | (bytes[at + 1] << 8) : (bytes[at] << 8) | bytes[at + 1]);
  return text;
}

/** RFC 2046 type/subtype, the characters RFC 6838 section 4.2 allows in names. */
const MIME_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function mimeRecord(mimeType: string, payload: Uint8Array): NdefRecord {
  if (!MIME_TYPE.test(mimeType)) fail(`MIME type ${JSON.stringify(mimeType)} is not type/subtype`);
  return { tnf: TNF.MEDIA, type: ascii(mimeType.toLowerCase(), "MIME type"), id: new Uint8Array(0), payload };
}

/** NFC Forum RTD 1.0 section 3.4: an external type is "domain:type", case-insensitive. */
const EXTERNAL_TYPE = /^[a-z0-9.-]+\.[a-z0-9-]+:[a-z0-9()+,\-.:=@;$_!*'%/?#]+$/;

export function externalRecord(name: string, payload: Uint8Array): NdefRecord {
  const lower = name.toLowerCase();
  if (!EXTERNAL_TYPE.test(lower)) fail(`external type ${JSON.stringify(name)} is not domain:type`);
  return { tnf: TNF.EXTERNAL, type: ascii(lower, "external type"), id: new Uint8Array(0), payload };
}

export function isExternal(record: NdefRecord, name: string): boolean {
  return record.tnf === TNF.EXTERNAL && asciiText(record.type).toLowerCase() === name;
}

/** A record as plain data: what `payterm nfc decode` prints and what logs carry. */
export interface RecordView {
  tnf: (typeof TNF_NAMES)[number];
  type: string;
  id?: string;
  uri?: string;
  text?: string;
  lang?: string;
  encoding?: string;
  mediaType?: string;
  payloadBytes: number;
  payloadHex: string;
}

export function viewRecord(record: NdefRecord): RecordView {
  const view: RecordView = {
    tnf: TNF_NAMES[record.tnf],
    type: asciiText(record.type),
    payloadBytes: record.payload.length,
    payloadHex: hex(record.payload),
  };
  if (record.id.length > 0) view.id = asciiText(record.id);
  if (isWellKnown(record, "U")) view.uri = parseUri(record);
  else if (isWellKnown(record, "T")) {
    const text = parseText(record);
    view.text = text.text;
    view.lang = text.lang;
    view.encoding = text.encoding;
  } else if (record.tnf === TNF.MEDIA) view.mediaType = asciiText(record.type).toLowerCase();
  return view;
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return out;
}
