/**
 * Type 2 and Type 4 tag reading (firmware/nfc/type2.ts, type4.ts) against the simulator's
 * virtual tags (host-sim/nfc/tags.ts, written separately from the Type 2 and Type 4 Tag
 * specifications), card emulation against the simulator's phone, and broken tags.
 */
import { describe, expect, it } from "@jest/globals";
import { NfcError } from "../../firmware/nfc/errors";
import { decodeNdef, encodeNdef, parseUri, textRecord, uriRecord } from "../../firmware/nfc/ndef";
import type { TagProcedure } from "../../firmware/nfc/procedure";
import { parseType2Cc, scanType2Tlvs, Type2Procedure } from "../../firmware/nfc/type2";
import { parseType4Cc, Type4Emulator, Type4Procedure } from "../../firmware/nfc/type4";
import { ndefTlv, ntag213, PhoneReader, Type2Tag, Type4Tag, type VirtualCard } from "../../host-sim/nfc/tags";

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
const UID7 = bytes("047BCB51962280");

/** Runs a procedure against a virtual tag as the reader does over InDataExchange. */
function read(procedure: TagProcedure, tag: VirtualCard): { ndef: Uint8Array | undefined; exchanges: number } {
  const out = new Uint8Array(300);
  let length = procedure.begin(out);
  let exchanges = 0;
  while (length > 0) {
    const result = tag.exchange(out.slice(0, length));
    exchanges++;
    if (result.status !== 0) throw new Error(`tag status ${result.status}`);
    length = procedure.next(result.data, out);
  }
  return { ndef: procedure.ndef, exchanges };
}

function failure(fn: () => unknown): NfcError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NfcError) return error;
    throw error;
  }
  throw new Error("expected an NfcError");
}

const message = encodeNdef([uriRecord("https://example.com/a-longer-path-for-several-reads"), textRecord("member", "en")]);

describe("Type 2 tags (NTAG213)", () => {
  it("reads the NDEF message: CC, then as many READs as the TLV needs", () => {
    const { ndef, exchanges } = read(new Type2Procedure(new Uint8Array(1056)), ntag213("t", UID7, ndefTlv(message)));
    expect(ndef).toEqual(message);
    // READ 3 gives the CC and 12 data bytes; each further READ 16 more.
    expect(exchanges).toBe(1 + Math.ceil((2 + message.length - 12) / 16));
  });

  it("a 3-byte TLV length (messages of 255 bytes and more)", () => {
    const long = encodeNdef([uriRecord(`https://example.com/${"x".repeat(280)}`)]);
    const tag = new Type2Tag("t", UID7, (() => {
      const memory = new Uint8Array(16 + 512);
      memory.set([0xe1, 0x10, 512 / 8, 0x00], 12);
      memory.set(ndefTlv(long), 16);
      return memory;
    })());
    expect(read(new Type2Procedure(new Uint8Array(1056)), tag).ndef).toEqual(long);
  });

  it("NULL TLVs, a Lock Control TLV and a Memory Control TLV whose reserved bytes sit inside the NDEF TLV", () => {
    const memory = new Uint8Array(16 + 96);
    memory.set([0xe1, 0x10, 96 / 8, 0x00], 12);
    // Lock Control: position page 0x2, offset 0 with 16-byte pages -> byte 32; 16 lock bits = 2 bytes.
    // Memory Control: page 0x3 offset 0 with 16-byte pages -> byte 48; 4 reserved bytes.
    const tlvs = [0x00, 0x00, 0x01, 0x03, 0x20, 0x10, 0x44, 0x02, 0x03, 0x30, 0x04, 0x04];
    memory.set(tlvs, 16);
    // The NDEF TLV starts at byte 28 and flows around bytes 32-33 and 48-51.
    const data = [0x03, message.length, ...message, 0xfe];
    let address = 28;
    for (const b of data) {
      while ((address >= 32 && address < 34) || (address >= 48 && address < 52)) memory[address++] = 0xaa;
      memory[address++] = b;
    }
    const { ndef } = read(new Type2Procedure(new Uint8Array(1056)), new Type2Tag("t", UID7, memory));
    expect(ndef).toEqual(message);
  });

  it("the capability container is checked", () => {
    expect(failure(() => parseType2Cc(bytes("00000000"))).code).toBe("not-ndef");
    expect(failure(() => parseType2Cc(bytes("E1201200"))).message).toMatch(/mapping version 2.0 is not 1.x/);
    expect(failure(() => parseType2Cc(bytes("E1101280"))).message).toMatch(/read access 0x08/);
    expect(failure(() => parseType2Cc(bytes("E1100000"))).message).toMatch(/empty data area/);
    expect(parseType2Cc(bytes("E1101200"))).toEqual({ major: 1, minor: 0, dataBytes: 144, readAccess: 0, writeAccess: 0 });
  });

  function scanArea(area: number[], dataBytes = 48) {
    const memory = new Uint8Array(16 + dataBytes);
    memory.set([0xe1, 0x10, dataBytes / 8, 0x00], 12);
    memory.set(area, 16);
    return () => scanType2Tlvs(memory, memory.length, parseType2Cc(memory.subarray(12, 16)));
  }

  it("bad TLVs: a precise refusal each", () => {
    expect(failure(scanArea([0x03, 0x40, 0xd1])).message).toMatch(/TLV 0x03 at byte 16 declares 64 bytes; the data area ends after 46/);
    expect(failure(scanArea([0x03, 0xff, 0x01, 0x00])).message).toMatch(/declares 256 bytes/);
    expect(failure(scanArea([0x00, 0x00, 0xfe])).code).toBe("not-ndef");
    expect(failure(scanArea([0x03, 0x00, 0xfe])).message).toMatch(/NDEF TLV at byte 16 is empty/);
    expect(failure(scanArea([0x01, 0x02, 0x00, 0x00])).message).toMatch(/Lock Control TLV at byte 16 has length 2, not 3/);
    expect(failure(scanArea([0x03, 0xff, 0xff, 0xff])).message).toMatch(/0xFFFF is reserved/);
  });

  it("a TLV area without a terminator (only NULL and proprietary TLVs to the end) is refused", () => {
    const area = new Array(48).fill(0x00);
    area.splice(0, 4, 0xfd, 0x02, 0x12, 0x34);
    const error = failure(scanArea(area));
    expect(error.code).toBe("tlv");
    expect(error.message).toMatch(/48-byte data area ends without an NDEF TLV or a terminator TLV/);
  });

  it("an NDEF TLV reaching past what the device reads is refused, not read", () => {
    const memory = new Uint8Array(16 + 2040);
    memory.set([0xe1, 0x10, 255, 0x00], 12);
    memory.set([0x03, 0xff, 0x07, 0x00], 16);
    const error = failure(() => read(new Type2Procedure(new Uint8Array(16 + 256 + 16)), new Type2Tag("t", UID7, memory)));
    expect(error.code).toBe("too-large");
  });

  it("a READ answer of the wrong size is refused", () => {
    const procedure = new Type2Procedure(new Uint8Array(1056));
    procedure.begin(new Uint8Array(8));
    expect(failure(() => procedure.next(new Uint8Array(4), new Uint8Array(8))).message).toMatch(/answered 4 bytes, expected 16/);
  });
});

describe("Type 4 tags", () => {
  it("reads the NDEF message through the NDEF application, in MLe-sized pieces", () => {
    const tag = new Type4Tag("t", UID7, message, { mle: 0x10 });
    const { ndef, exchanges } = read(new Type4Procedure(1024), tag);
    expect(ndef).toEqual(message);
    expect(exchanges).toBe(5 + Math.ceil(message.length / 0x10));
  });

  it("NLEN past the file, NLEN past what the device reads, NLEN 0", () => {
    expect(failure(() => read(new Type4Procedure(1024), new Type4Tag("t", UID7, message, { fileBytes: 64, nlen: 200 }))).message).toMatch(/NLEN 200 exceeds the NDEF file's 62 bytes/);
    expect(failure(() => read(new Type4Procedure(16), new Type4Tag("t", UID7, message))).code).toBe("too-large");
    expect(failure(() => read(new Type4Procedure(1024), new Type4Tag("t", UID7, message, { nlen: 0 }))).code).toBe("not-ndef");
  });

  it("the CC file is checked", () => {
    const good = bytes("000F 20 003B 0034 04 06 E104 0800 00 FF");
    expect(parseType4Cc(good)).toMatchObject({ mle: 0x3b, ndefFile: 0xe104, ndefMaxBytes: 0x800 });
    expect(failure(() => parseType4Cc(good.subarray(0, 10))).message).toMatch(/at least 15/);
    expect(failure(() => parseType4Cc(bytes("000F 30 003B 0034 04 06 E104 0800 00 FF"))).message).toMatch(/mapping version 3.0/);
    expect(failure(() => parseType4Cc(bytes("000F 20 000E 0034 04 06 E104 0800 00 FF"))).message).toMatch(/MLe 14/);
    expect(failure(() => parseType4Cc(bytes("000F 20 003B 0034 05 06 E104 0800 00 FF"))).message).toMatch(/NDEF File Control TLV/);
    expect(failure(() => parseType4Cc(bytes("000F 20 003B 0034 04 06 E103 0800 00 FF"))).message).toMatch(/reserved/);
    expect(failure(() => parseType4Cc(bytes("000F 20 003B 0034 04 06 E104 0800 80 FF"))).message).toMatch(/read access 0x80/);
  });
});

describe("card emulation: the device as a Type 4 tag, read by the simulator's phone", () => {
  function session(emulator: Type4Emulator, phone: PhoneReader): number {
    emulator.reset();
    const out = new Uint8Array(300);
    let command: Uint8Array | undefined = phone.begin();
    let steps = 0;
    while (command) {
      const length = emulator.respond(command, out);
      command = phone.answer(out.slice(0, length));
      steps++;
    }
    return steps;
  }

  it("a phone reads the presented UPI link", () => {
    const uri = "upi://pay?pa=demo.store@okaxis&pn=Demo%20Store&am=250.00&cu=INR&tr=T1";
    const emulator = new Type4Emulator(1024);
    emulator.setMessage(encodeNdef([uriRecord(uri)]));
    const phone = new PhoneReader("p");
    session(emulator, phone);
    expect(phone.reads).toEqual([{ ndef: encodeNdef([uriRecord(uri)]), uri, error: undefined }]);
    expect(emulator.delivered).toBe(true);
    expect(parseUri(decodeNdef(phone.reads[0].ndef as Uint8Array)[0])).toBe(uri);
  });

  it("the firmware's own reader reads the emulated tag too", () => {
    const emulator = new Type4Emulator(1024);
    emulator.setMessage(message);
    const asTag: VirtualCard = {
      role: "card", label: "emulated", uid: UID7, atqa: 0x0004, sak: 0x20, ats: undefined,
      exchange: (apdu) => {
        const out = new Uint8Array(300);
        return { status: 0, data: out.slice(0, emulator.respond(apdu, out)) };
      },
      halt: () => emulator.reset(),
    };
    expect(read(new Type4Procedure(1024), asTag).ndef).toEqual(message);
  });

  it("answers wrong APDUs with the ISO 7816-4 status words, and refuses writes", () => {
    const emulator = new Type4Emulator(64);
    emulator.setMessage(message.subarray(0, 40));
    const out = new Uint8Array(300);
    const sw = (hex: string) => {
      const n = emulator.respond(bytes(hex), out);
      return Buffer.from(out.subarray(n - 2, n)).toString("hex").toUpperCase();
    };
    expect(sw("80A4040007D2760000850101")).toBe("6E00");
    expect(sw("00A4000C02E103")).toBe("6A82");
    expect(sw("00B0000002")).toBe("6986");
    expect(sw("00A4040007D2760000850100")).toBe("6A82");
    expect(sw("00A4040007D2760000850101")).toBe("9000");
    expect(sw("00A4000C02E105")).toBe("6A82");
    expect(sw("00A4000C02E104")).toBe("9000");
    expect(sw("00D6000002AAAA")).toBe("6982");
    expect(sw("00B0FF0002")).toBe("6B00");
    expect(sw("00CA000000")).toBe("6D00");
    expect(sw("00A4")).toBe("6700");
    expect(() => emulator.setMessage(new Uint8Array(65))).toThrow(/exceeds the emulated file's 64/);
  });
});
