/**
 * Virtual things the simulated PN532 finds in its field: Type 2 tags (NTAG213 memory), a MIFARE
 * Classic card (UID only), a Type 4 tag (ISO-DEP, NDEF application), a contactless payment
 * instrument (ISO-DEP, a PPSE directory), and a phone that reads the PN532 when it emulates a tag. Written from the NFC Forum and NXP specifications, separately
 * from the firmware's code, so that the two check each other. Neutral code: runs on XS too.
 */

/** What InDataExchange gets back from a target: the PN532 status byte and the data. */
export interface Exchange {
  status: number;
  data: Uint8Array;
}

/** PN532 status codes the simulator produces (UM0701-02 section 7.1). */
export const SIM_STATUS = Object.freeze({ OK: 0x00, TIMEOUT: 0x01, PROTOCOL: 0x0b, AUTH: 0x14, RELEASED: 0x29 });

export interface VirtualCard {
  readonly role: "card";
  readonly label: string;
  readonly uid: Uint8Array;
  /** SENS_RES as the PN532 reports it, first byte high. */
  readonly atqa: number;
  readonly sak: number;
  readonly ats: Uint8Array | undefined;
  /** Data exchange while selected. */
  exchange(data: Uint8Array): Exchange;
  /** Deselected (InRelease) or taken away. */
  halt(): void;
}

export interface PhoneRead {
  ndef: Uint8Array | undefined;
  uri: string | undefined;
  error: string | undefined;
}

const ok = (data: Uint8Array): Exchange => ({ status: SIM_STATUS.OK, data });

/** A response APDU: the body, then the status word. */
function sw(code: number, body: Uint8Array = new Uint8Array(0)): Exchange {
  const out = new Uint8Array(body.length + 2);
  out.set(body, 0);
  out[body.length] = code >> 8;
  out[body.length + 1] = code & 0xff;
  return ok(out);
}

/** NTAG213: 45 pages of 4 bytes; CC at page 3, 144-byte data area, dynamic lock bytes at page 40. */
export const NTAG213 = Object.freeze({ pages: 45, dataBytes: 144 });

/** A Type 2 tag whose whole memory (UID pages, CC, data area, configuration) the test chooses. */
export class Type2Tag implements VirtualCard {
  readonly role = "card" as const;
  readonly atqa = 0x0044;
  readonly sak = 0x00;
  readonly ats = undefined;
  readonly memory: Uint8Array;
  reads = 0;

  constructor(
    readonly label: string,
    readonly uid: Uint8Array,
    memory: Uint8Array,
  ) {
    if (memory.length % 4 !== 0) throw new RangeError("Type 2 memory is whole pages");
    this.memory = memory;
  }

  exchange(data: Uint8Array): Exchange {
    // READ (0x30): four pages from the address, rolling over at the end of memory (NTAG21x).
    if (data.length === 2 && data[0] === 0x30) {
      const pages = this.memory.length / 4;
      if (data[1] >= pages) return { status: SIM_STATUS.PROTOCOL, data: new Uint8Array(0) };
      this.reads++;
      const out = new Uint8Array(16);
      for (let i = 0; i < 16; i++) out[i] = this.memory[(data[1] * 4 + i) % this.memory.length];
      return ok(out);
    }
    return { status: SIM_STATUS.PROTOCOL, data: new Uint8Array(0) };
  }

  halt(): void {}
}

/** Page 0..2 of an NXP 7-byte-UID Type 2 tag: UID0-2, BCC0, UID3-6, BCC1, internal, lock bytes. */
function uidPages(uid: Uint8Array): Uint8Array {
  const pages = new Uint8Array(12);
  pages.set(uid.subarray(0, 3), 0);
  pages[3] = 0x88 ^ uid[0] ^ uid[1] ^ uid[2];
  pages.set(uid.subarray(3, 7), 4);
  pages[8] = uid[3] ^ uid[4] ^ uid[5] ^ uid[6];
  pages[9] = 0x48;
  return pages;
}

/** NTAG215: 135 pages, 496-byte data area, dynamic lock bytes at page 130. */
export const NTAG215 = Object.freeze({ pages: 135, dataBytes: 496 });

function ntag(model: { pages: number; dataBytes: number }, name: string, label: string, uid: Uint8Array, dataArea: Uint8Array): Type2Tag {
  if (dataArea.length > model.dataBytes) throw new RangeError(`an ${name} data area is ${model.dataBytes} bytes`);
  const memory = new Uint8Array(model.pages * 4);
  memory.set(uidPages(uid), 0);
  memory.set([0xe1, 0x10, model.dataBytes / 8, 0x00], 12);
  memory.set(dataArea, 16);
  // Dynamic lock bytes and configuration pages, just past the data area.
  const lock = (model.pages - 5) * 4;
  memory.set([0x00, 0x00, 0x00, 0xbd], lock);
  memory.set([0x04, 0x00, 0x00, 0xff], lock + 4);
  return new Type2Tag(label, uid, memory);
}

/** An NTAG213 holding `dataArea` from page 4 (TLVs as the caller wrote them). */
export function ntag213(label: string, uid: Uint8Array, dataArea: Uint8Array): Type2Tag {
  return ntag(NTAG213, "NTAG213", label, uid, dataArea);
}

export function ntag215(label: string, uid: Uint8Array, dataArea: Uint8Array): Type2Tag {
  return ntag(NTAG215, "NTAG215", label, uid, dataArea);
}

/** TLV blocks for a data area: NDEF TLV (1- or 3-byte length) then a terminator. */
export function ndefTlv(message: Uint8Array): Uint8Array {
  const long = message.length >= 0xff;
  const out = new Uint8Array((long ? 4 : 2) + message.length + 1);
  out[0] = 0x03;
  if (long) out.set([0xff, message.length >> 8, message.length & 0xff], 1);
  else out[1] = message.length;
  out.set(message, long ? 4 : 2);
  out[out.length - 1] = 0xfe;
  return out;
}

/** A MIFARE Classic 1K: the reader gets its 4-byte UID; reading needs keys it does not have. */
export class ClassicCard implements VirtualCard {
  readonly role = "card" as const;
  readonly atqa = 0x0004;
  readonly sak = 0x08;
  readonly ats = undefined;

  constructor(
    readonly label: string,
    readonly uid: Uint8Array,
  ) {}

  exchange(): Exchange {
    return { status: SIM_STATUS.AUTH, data: new Uint8Array(0) };
  }

  halt(): void {}
}

const NDEF_AID = [0xd2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01];

/** An ISO-DEP Type 4 tag with the NDEF application: CC file E103, NDEF file E104. */
export class Type4Tag implements VirtualCard {
  readonly role = "card" as const;
  readonly atqa = 0x0344;
  readonly sak = 0x20;
  /** TL T0 TA TB TC: FSCI 8 (256 bytes), as a DESFire-class tag. */
  readonly ats = Uint8Array.of(0x05, 0x78, 0x80, 0x70, 0x02);
  readonly cc: Uint8Array;
  readonly file: Uint8Array;
  #app = false;
  #selected: "none" | "cc" | "ndef" = "none";

  constructor(
    readonly label: string,
    readonly uid: Uint8Array,
    message: Uint8Array,
    options: { mle?: number; fileBytes?: number; nlen?: number } = {},
  ) {
    const fileBytes = options.fileBytes ?? Math.max(2 + message.length, 64);
    this.file = new Uint8Array(fileBytes);
    const nlen = options.nlen ?? message.length;
    this.file.set([nlen >> 8, nlen & 0xff], 0);
    this.file.set(message.subarray(0, fileBytes - 2), 2);
    const mle = options.mle ?? 0x3b;
    this.cc = Uint8Array.of(0x00, 0x0f, 0x20, mle >> 8, mle & 0xff, 0x00, 0x34, 0x04, 0x06, 0xe1, 0x04, fileBytes >> 8, fileBytes & 0xff, 0x00, 0x00);
  }

  exchange(apdu: Uint8Array): Exchange {
    if (apdu.length < 4 || apdu[0] !== 0x00) return sw(0x6e00);
    const [, ins, p1, p2] = apdu;
    if (ins === 0xa4) {
      const lc = apdu[4] ?? 0;
      const data = Array.from(apdu.subarray(5, 5 + lc));
      if (p1 === 0x04) {
        this.#app = data.length === NDEF_AID.length && data.every((b, i) => b === NDEF_AID[i]);
        this.#selected = "none";
        return sw(this.#app ? 0x9000 : 0x6a82);
      }
      if (!this.#app || data.length !== 2) return sw(0x6a82);
      const id = (data[0] << 8) | data[1];
      if (id === 0xe103) this.#selected = "cc";
      else if (id === 0xe104) this.#selected = "ndef";
      else return sw(0x6a82);
      return sw(0x9000);
    }
    if (ins === 0xb0) {
      if (this.#selected === "none") return sw(0x6986);
      const source = this.#selected === "cc" ? this.cc : this.file;
      const offset = (p1 << 8) | p2;
      const le = apdu[4] || 256;
      if (offset > source.length) return sw(0x6b00);
      return sw(0x9000, source.slice(offset, Math.min(source.length, offset + le)));
    }
    return sw(0x6d00);
  }

  halt(): void {
    this.#app = false;
    this.#selected = "none";
  }
}

/** "2PAY.SYS.DDF01", the contactless payment directory's name (EMV Book 1 §12.3.2). */
const PPSE = [0x32, 0x50, 0x41, 0x59, 0x2e, 0x53, 0x59, 0x53, 0x2e, 0x44, 0x44, 0x46, 0x30, 0x31];

function berTlv(tag: number[], value: number[]): number[] {
  if (value.length > 0xff) throw new RangeError("the simulator's TLVs are shorter than 256 bytes");
  return [...tag, ...(value.length < 0x80 ? [value.length] : [0x81, value.length]), ...value];
}

/**
 * A contactless payment card or a phone wallet as a reader first meets it: ISO-DEP, no NDEF
 * application, and a PPSE directory naming one payment application (AID, label, priority 1).
 * Only the directory is modelled: no application behind it, no records, no cryptogram.
 */
export class PaymentInstrument implements VirtualCard {
  readonly role = "card" as const;
  readonly atqa = 0x0004;
  readonly sak = 0x20;
  /** TL T0 TA TB TC: FSCI 8 (256 bytes). */
  readonly ats = Uint8Array.of(0x05, 0x78, 0x80, 0x70, 0x02);
  readonly fci: Uint8Array;

  constructor(
    readonly label: string,
    readonly uid: Uint8Array,
    readonly aid: Uint8Array,
    applicationLabel: string,
  ) {
    const entry = berTlv([0x61], [...berTlv([0x4f], [...aid]), ...berTlv([0x50], [...utf8(applicationLabel)]), ...berTlv([0x87], [0x01])]);
    this.fci = Uint8Array.from(berTlv([0x6f], [...berTlv([0x84], PPSE), ...berTlv([0xa5], berTlv([0xbf, 0x0c], entry))]));
  }

  exchange(apdu: Uint8Array): Exchange {
    if (apdu.length < 5 || apdu[0] !== 0x00) return sw(0x6e00);
    if (apdu[1] !== 0xa4) return sw(0x6d00);
    if (apdu[2] !== 0x04) return sw(0x6a82);
    const name = Array.from(apdu.subarray(5, 5 + apdu[4]));
    const ppse = name.length === PPSE.length && name.every((b, i) => b === PPSE[i]);
    return ppse ? sw(0x9000, this.fci) : sw(0x6a82);
  }

  halt(): void {}
}

/**
 * A phone held to the PN532 while it emulates a tag: it activates the emulated card and reads it
 * as Android or iOS read a Type 4 tag, then stops. Its reads land in `reads`.
 */
export class PhoneReader {
  readonly role = "phone" as const;
  readonly reads: PhoneRead[] = [];
  #step = 0;
  #mle = 0x3b;
  #nlen = 0;
  #message: Uint8Array | undefined;
  #offset = 0;
  /** Set once it has read the tag; a phone reads a tag once per tap. */
  done = false;
  onRead: ((read: PhoneRead) => void) | undefined;

  constructor(readonly label: string) {}

  /** Starts a session; returns the first command APDU. */
  begin(): Uint8Array {
    this.#step = 0;
    this.#message = undefined;
    return Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x07, ...NDEF_AID, 0x00);
  }

  /** Takes a response APDU; returns the next command, or undefined when the phone is finished. */
  answer(response: Uint8Array): Uint8Array | undefined {
    const sw = response.length >= 2 ? (response[response.length - 2] << 8) | response[response.length - 1] : 0;
    const body = response.subarray(0, Math.max(0, response.length - 2));
    if (sw !== 0x9000) return this.#finish(`status word ${sw.toString(16)} at step ${this.#step}`);
    this.#step++;
    switch (this.#step) {
      case 1:
        return Uint8Array.of(0x00, 0xa4, 0x00, 0x0c, 0x02, 0xe1, 0x03);
      case 2:
        return Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x0f);
      case 3: {
        if (body.length < 15 || body[7] !== 0x04) return this.#finish("CC file is not a Type 4 CC");
        this.#mle = (body[3] << 8) | body[4];
        return Uint8Array.of(0x00, 0xa4, 0x00, 0x0c, 0x02, body[9], body[10]);
      }
      case 4:
        return Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x02);
      case 5:
        if (body.length !== 2) return this.#finish("NLEN read did not give 2 bytes");
        this.#nlen = (body[0] << 8) | body[1];
        if (this.#nlen === 0) return this.#finish("empty NDEF file");
        this.#message = new Uint8Array(this.#nlen);
        this.#offset = 0;
        return this.#readNext();
      default: {
        const message = this.#message as Uint8Array;
        if (body.length === 0 || this.#offset + body.length > message.length) return this.#finish("READ BINARY answered the wrong length");
        message.set(body, this.#offset);
        this.#offset += body.length;
        if (this.#offset < message.length) return this.#readNext();
        this.#record({ ndef: message, uri: uriOf(message), error: undefined });
        return undefined;
      }
    }
  }

  #readNext(): Uint8Array {
    const offset = 2 + this.#offset;
    const count = Math.min(this.#mle, 0xff, (this.#message as Uint8Array).length - this.#offset);
    return Uint8Array.of(0x00, 0xb0, offset >> 8, offset & 0xff, count);
  }

  #finish(error: string): undefined {
    this.#record({ ndef: undefined, uri: undefined, error });
    return undefined;
  }

  #record(read: PhoneRead): void {
    this.reads.push(read);
    this.done = true;
    this.onRead?.(read);
  }
}

/** URI RTD abbreviations the simulator needs to show what a phone opened (0x00..0x23). */
const PREFIXES = [
  "", "http://www.", "https://www.", "http://", "https://", "tel:", "mailto:", "ftp://anonymous:anonymous@", "ftp://ftp.", "ftps://",
  "sftp://", "smb://", "nfs://", "ftp://", "dav://", "news:", "telnet://", "imap:", "rtsp://", "urn:", "pop:", "sip:", "sips:", "tftp:",
  "btspp://", "btl2cap://", "btgoep://", "tcpobex://", "irdaobex://", "file://", "urn:epc:id:", "urn:epc:tag:", "urn:epc:pat:",
  "urn:epc:raw:", "urn:epc:", "urn:nfc:",
];

/** The URI of a message whose first record is a short well-known "U" record, as a phone would open it. */
export function uriOf(message: Uint8Array): string | undefined {
  if (message.length < 5 || (message[0] & 0x17) !== 0x11 || message[1] !== 1 || message[3] !== 0x55) return undefined;
  const length = message[2];
  if (4 + length > message.length || length < 1) return undefined;
  const prefix = PREFIXES[message[4]];
  if (prefix === undefined) return undefined;
  return prefix + new TextDecoderLite().decode(message.subarray(5, 4 + length));
}

/** A short well-known URI record, the whole message (MB ME SR, TNF 1, type "U"). */
export function uriMessage(uri: string): Uint8Array {
  let code = 0;
  PREFIXES.forEach((prefix, i) => {
    if (i > 0 && uri.startsWith(prefix) && prefix.length > PREFIXES[code].length) code = i;
  });
  const rest = utf8(uri.slice(PREFIXES[code].length));
  if (rest.length + 1 > 255) throw new RangeError("uriMessage builds short records only");
  return Uint8Array.of(0xd1, 0x01, rest.length + 1, 0x55, code, ...rest);
}

export function utf8(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    const c = char.codePointAt(0) as number;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

/** UTF-8 to text without relying on TextDecoder (absent on the device, present on XS hosts). */
class TextDecoderLite {
  decode(bytes: Uint8Array): string {
    let text = "";
    for (let i = 0; i < bytes.length; ) {
      const b = bytes[i];
      const extra = b < 0x80 ? 0 : b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
      let code = extra === 0 ? b : b & (0x3f >> extra);
      for (let k = 1; k <= extra; k++) code = (code << 6) | (bytes[i + k] & 0x3f);
      text += String.fromCodePoint(code);
      i += extra + 1;
    }
    return text;
  }
}
