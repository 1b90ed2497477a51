/**
 * PN532 frames (UM0701-02 section 6.2.1) against the project's reference vectors, and every way
 * a frame can arrive broken: each is refused with its own code, and the scanner finds the good
 * frame behind it.
 */
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { COMMAND, parseFirmwareVersion, parseTargetA, SAM_NORMAL, BRTY_106A } from "../../firmware/nfc/commands";
import { NfcError } from "../../firmware/nfc/errors";
import { ACK_FRAME, FrameScan, NACK_FRAME, scanFrame, writeFrame, FRAME } from "../../firmware/nfc/frame";

const vectors = JSON.parse(readFileSync(new URL("../fixtures/nfc-vectors.json", import.meta.url), "utf8")) as { pn532: Record<string, string> };
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();

function command(code: number, params: Uint8Array): string {
  const out = new Uint8Array(300);
  return hexOf(out.subarray(0, writeFrame(out, FRAME.HOST_TO_PN532, code, params)));
}

function scan(hex: string | Uint8Array, maxLength = 265) {
  const buf = typeof hex === "string" ? bytes(hex) : hex;
  const s = new FrameScan();
  const outcome = scanFrame(buf, 0, buf.length, maxLength, s);
  return { outcome, s, data: buf.subarray(s.dataStart, s.dataStart + s.dataLength) };
}

describe("PN532 command frames, byte for byte (vectors)", () => {
  it("GetFirmwareVersion", () => expect(command(COMMAND.GET_FIRMWARE_VERSION, new Uint8Array(0))).toBe(vectors.pn532.get_firmware_version_cmd));
  it("SAMConfiguration normal mode, 1 s timeout, IRQ", () => expect(command(COMMAND.SAM_CONFIGURATION, SAM_NORMAL)).toBe(vectors.pn532.sam_configuration_cmd));
  it("InListPassiveTarget, one target, 106 kbps type A", () =>
    expect(command(COMMAND.IN_LIST_PASSIVE_TARGET, Uint8Array.of(1, BRTY_106A))).toBe(vectors.pn532.in_list_passive_target_106a_cmd));
  it("ACK and NACK constants", () => {
    expect(hexOf(ACK_FRAME)).toBe(vectors.pn532.ack);
    expect(hexOf(NACK_FRAME)).toBe("0000FFFF0000");
  });
});

describe("PN532 response frames (vectors)", () => {
  it("GetFirmwareVersion answer: PN532 (IC 0x32), firmware 1.6, ISO 14443A/B and 18092", () => {
    const { outcome, s, data } = scan(vectors.pn532.get_firmware_version_resp);
    expect(outcome).toBe("frame");
    expect(s.kind).toBe("information");
    expect(s.tfi).toBe(FRAME.PN532_TO_HOST);
    expect(data[0]).toBe(COMMAND.GET_FIRMWARE_VERSION + 1);
    expect(parseFirmwareVersion(data.subarray(1))).toEqual({ ic: 0x32, version: 1, revision: 6, support: 7 });
  });

  it("InListPassiveTarget: a MIFARE Classic with a 4-byte UID", () => {
    const { data } = scan(vectors.pn532.in_list_passive_target_resp_uid4);
    const target = parseTargetA(data.subarray(1));
    expect(target).toEqual({ tg: 1, atqa: 0x0004, sak: 0x08, uid: bytes("6E8AE2B0"), ats: undefined });
  });

  it("InListPassiveTarget: an NTAG with a 7-byte UID", () => {
    const { data } = scan(vectors.pn532.in_list_passive_target_resp_uid7_ntag);
    expect(parseTargetA(data.subarray(1))).toEqual({ tg: 1, atqa: 0x0044, sak: 0x00, uid: bytes("047BCB51962280"), ats: undefined });
  });

  it("InListPassiveTarget: a 10-byte UID and an ATS (ISO/IEC 14443-4)", () => {
    const answer = bytes("01 01 0344 20 0A 01020304050607080910 0578807002");
    expect(parseTargetA(answer)).toEqual({ tg: 1, atqa: 0x0344, sak: 0x20, uid: bytes("01020304050607080910"), ats: bytes("0578807002") });
  });

  it("InListPassiveTarget: no target", () => expect(parseTargetA(bytes("00"))).toBeUndefined());

  it("ACK, and the error frame (application-level syntax error)", () => {
    expect(scan(vectors.pn532.ack).s.kind).toBe("ack");
    expect(scan(vectors.pn532.error_frame).s.kind).toBe("error");
    expect(scan("0000FFFF0000").s.kind).toBe("nack");
  });

  it("extended frames: written past 255 bytes and read back", () => {
    const params = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const out = new Uint8Array(400);
    const length = writeFrame(out, FRAME.PN532_TO_HOST, 0x41, params);
    // LEN 302 = 0x012E (TFI, code and 300 bytes); LCS = -(0x01 + 0x2E) = 0xD1.
    expect(hexOf(out.subarray(0, 8))).toBe("0000FFFFFF012ED1");
    expect(length).toBe(302 + 10);
    const { outcome, s, data } = scan(out.subarray(0, length), 400);
    expect(outcome).toBe("frame");
    expect(s.extended).toBe(true);
    expect(data[0]).toBe(0x41);
    expect(data.subarray(1)).toEqual(params);
  });

  it("a 262-byte InDataExchange answer (the PN532's largest) fits the driver's limit", () => {
    const out = new Uint8Array(300);
    const length = writeFrame(out, FRAME.PN532_TO_HOST, 0x41, new Uint8Array(263));
    expect(scan(out.subarray(0, length)).outcome).toBe("frame");
  });
});

describe("PN532 frames that arrive broken: a precise refusal each", () => {
  const good = vectors.pn532.get_firmware_version_resp;

  const cases: [string, string, string, RegExp][] = [
    ["a wrong length checksum", "0000FF06FBD50332010607E800", "frame-length-checksum", /LEN 0x06 \+ LCS 0xFB/],
    ["a wrong data checksum", "0000FF06FAD50332010607E900", "frame-data-checksum", /data checksum 0xE9/],
    ["a postamble that is not 0x00", "0000FF06FAD50332010607E855", "frame-postamble", /postamble 0x55/],
    ["a LEN that says less than was sent (checksum fails)", "0000FF05FBD50332010607E800", "frame-data-checksum", /data checksum/],
    ["an information frame with LEN 0 and a matching LCS of 0", "0000FF000000", "frame-length-checksum", /LEN 0x00 \+ LCS 0x00|LEN 0/],
    ["an extended frame with a wrong LCS", "0000FFFFFF0100FE", "frame-length-checksum", /extended frame LENM/],
  ];
  it.each(cases)("%s", (_what, hex, code, message) => {
    const { outcome, s } = scan(hex);
    expect(outcome).toBe("none");
    expect(s.problem).toBeInstanceOf(NfcError);
    expect(s.problem?.code).toBe(code);
    expect(s.problem?.message).toMatch(message);
  });

  it("a LEN that says more than arrives is a partial frame, with how much it needs", () => {
    const { outcome, s } = scan("0000FF20E0D50332");
    expect(outcome).toBe("partial");
    expect(s.need).toBe(4 + 0x20 + 2);
  });

  it("a truncated frame is partial until the rest arrives", () => {
    const full = bytes(good);
    for (let cut = 3; cut < full.length; cut++) expect(scan(full.subarray(0, cut)).outcome).toBe("partial");
    expect(scan(full).outcome).toBe("frame");
  });

  it("a frame announcing more than the driver accepts is refused, not waited for", () => {
    const { outcome, s } = scan("0000FFFFFF1000F0D5", 265);
    expect(outcome).toBe("none");
    expect(s.problem?.code).toBe("frame-too-long");
    expect(s.problem?.message).toMatch(/4096 bytes/);
  });

  it("garbage before the preamble, including a false start code, is skipped", () => {
    const { outcome, s, data } = scan(`13 37 00 FF 42 00 FF 00 ${good}`);
    expect(outcome).toBe("frame");
    expect(s.kind).toBe("information");
    expect(parseFirmwareVersion(data.subarray(1)).ic).toBe(0x32);
  });

  it("garbage alone is no frame", () => expect(scan("DEADBEEF").outcome).toBe("none"));

  it("a damaged frame followed by a good one: the good one is found, the damage recorded", () => {
    const { outcome, s } = scan(`0000FF06FAD50332010607E900 ${good}`);
    expect(outcome).toBe("frame");
    expect(s.kind).toBe("information");
  });

  it("target data that lies about the UID length or the ATS is refused", () => {
    expect(() => parseTargetA(bytes("01 01 0004 08 05 0102030405"))).toThrow(/NFCID1 length 5/);
    expect(() => parseTargetA(bytes("01 01 0004 08 07 010203"))).toThrow(/runs past/);
    expect(() => parseTargetA(bytes("01 01 0344 20 04 01020304 09 7880"))).toThrow(/ATS length byte 9/);
    expect(() => parseTargetA(bytes("03"))).toThrow(/3 targets/);
  });
});
