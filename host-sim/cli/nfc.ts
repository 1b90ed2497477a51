/**
 * payterm nfc decode HEX: a PN532 frame (UM0701-02 section 6.2.1) or an NDEF message as JSON,
 * read with the firmware's own decoders; exit 1 with the precise reason when the bytes break a
 * rule. Bytes starting with a PN532 start code (00 FF, or 00 00 FF) are a frame, others an NDEF
 * message; `--as` says which when the guess would be wrong.
 */
import { COMMAND, commandName, parseFirmwareVersion, parseTargetA, STATUS_TEXT, statusCode } from "../../firmware/nfc/commands";
import { hexByte, NfcError } from "../../firmware/nfc/errors";
import { FRAME, FrameScan, scanFrame } from "../../firmware/nfc/frame";
import { decodeNdef, viewRecord } from "../../firmware/nfc/ndef";
import { MAX_FRAME_DATA } from "../../firmware/nfc/pn532";
import { parseWithPositionals, UsageError } from "./args";
import type { Command } from "./command";

export class DecodeError extends Error {}

/** Hex digits, with spaces, colons or dashes between bytes allowed. */
export function parseHex(text: string): Uint8Array {
  const clean = text.replace(/[\s:-]/g, "");
  const bad = /[^0-9A-Fa-f]/.exec(clean);
  if (bad) throw new DecodeError(`not hex: ${JSON.stringify(bad[0])} at digit ${bad.index + 1}`);
  if (clean.length === 0) throw new DecodeError("no bytes given");
  if (clean.length % 2 !== 0) throw new DecodeError(`not hex: ${clean.length} digits is not a whole number of bytes`);
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex").toUpperCase();

export function looksLikeFrame(bytes: Uint8Array): boolean {
  const at = bytes[0] === 0x00 && bytes[1] === 0x00 ? 1 : 0;
  return bytes[at] === 0x00 && bytes[at + 1] === 0xff;
}

/** What the answer to a known command says, beyond its bytes. */
function meaning(command: number, data: Uint8Array): Record<string, unknown> | undefined {
  switch (command) {
    case COMMAND.GET_FIRMWARE_VERSION: {
      const v = parseFirmwareVersion(data);
      return { ic: hexByte(v.ic), firmware: `${v.version}.${v.revision}`, iso14443a: (v.support & 1) !== 0, iso14443b: (v.support & 2) !== 0, iso18092: (v.support & 4) !== 0 };
    }
    case COMMAND.IN_LIST_PASSIVE_TARGET: {
      const target = parseTargetA(data);
      if (!target) return { targets: 0 };
      return { targets: data[0], tg: target.tg, atqa: hex(Uint8Array.of(target.atqa >> 8, target.atqa & 0xff)), sak: hexByte(target.sak), uid: hex(target.uid), ...(target.ats ? { ats: hex(target.ats) } : {}) };
    }
    case COMMAND.IN_DATA_EXCHANGE:
    case COMMAND.TG_GET_DATA:
    case COMMAND.TG_SET_DATA:
    case COMMAND.IN_RELEASE: {
      if (data.length === 0) throw new NfcError("bad-response", `${commandName(command)} answer has no status byte`);
      const code = statusCode(data[0]);
      return { status: hexByte(code), ...(code !== 0 ? { error: STATUS_TEXT[code] ?? "not a documented error code" } : {}), data: hex(data.subarray(1)) };
    }
    default:
      return undefined;
  }
}

export function decodeFrame(bytes: Uint8Array): Record<string, unknown> {
  const scan = new FrameScan();
  const outcome = scanFrame(bytes, 0, bytes.length, 0xffff, scan);
  if (outcome === "partial") throw new DecodeError(`frame: cut short: it announces ${scan.need} bytes from its start code at byte ${scan.start}, ${bytes.length - scan.start} are there`);
  if (outcome === "none") throw new DecodeError(`frame: ${scan.problem?.message ?? "no start code (00 FF)"}`);
  const out: Record<string, unknown> = { type: "frame", kind: scan.kind };
  // Bytes before the frame, its preamble (the 00 before the start code) not counted.
  const begin = scan.start > 0 && bytes[scan.start - 1] === FRAME.PREAMBLE ? scan.start - 1 : scan.start;
  if (begin > 0) out.skipped = begin;
  if (scan.end < bytes.length) out.trailing = bytes.length - scan.end;
  if (scan.kind !== "information") return out;
  if (scan.extended) out.extended = true;
  const data = bytes.subarray(scan.dataStart, scan.dataStart + scan.dataLength);
  out.tfi = hexByte(scan.tfi);
  if (scan.tfi !== FRAME.HOST_TO_PN532 && scan.tfi !== FRAME.PN532_TO_HOST) throw new DecodeError(`frame: TFI ${hexByte(scan.tfi)} is neither 0xD4 (host to PN532) nor 0xD5 (PN532 to host)`);
  if (data.length === 0) throw new DecodeError("frame: no command code after the TFI");
  const toPn532 = scan.tfi === FRAME.HOST_TO_PN532;
  const command = toPn532 ? data[0] : data[0] - 1;
  out.direction = toPn532 ? "host-to-pn532" : "pn532-to-host";
  out.command = commandName(command);
  out.code = hexByte(data[0]);
  out.data = hex(data.subarray(1));
  if (data.length > MAX_FRAME_DATA) out.note = `longer than the ${MAX_FRAME_DATA} bytes the PN532 sends`;
  if (!toPn532) {
    try {
      const parsed = meaning(command, data.subarray(1));
      if (parsed) out.parsed = parsed;
    } catch (error) {
      throw new DecodeError(`frame: ${(error as Error).message}`);
    }
  }
  return out;
}

export function decodeNdefJson(bytes: Uint8Array): Record<string, unknown> {
  try {
    return { type: "ndef", records: decodeNdef(bytes, { maxRecords: 256, maxPayloadBytes: bytes.length }).map(viewRecord) };
  } catch (error) {
    if (error instanceof NfcError) throw new DecodeError(`ndef: ${error.message}`);
    throw error;
  }
}

export const nfcCommand: Command = {
  name: "nfc",
  usage: ["payterm nfc decode HEX [--as frame|ndef]    a PN532 frame or an NDEF message as JSON"],
  async run(args) {
    const { values, positionals } = parseWithPositionals(args, { as: { type: "string" } });
    const [verb, input, ...extra] = positionals;
    if (verb !== "decode") throw new UsageError(verb === undefined ? "nfc needs a verb: decode" : `unknown nfc verb ${JSON.stringify(verb)}; try decode`);
    if (input === undefined) throw new UsageError("nfc decode needs the bytes, as hex");
    if (extra.length > 0) throw new UsageError(`nfc decode takes one HEX argument; quote bytes with spaces ("00 00 FF ...")`);
    if (values.as !== undefined && values.as !== "frame" && values.as !== "ndef") throw new UsageError(`--as must be frame or ndef, got ${JSON.stringify(values.as)}`);
    let bytes: Uint8Array;
    try {
      bytes = parseHex(input);
      const asFrame = values.as === undefined ? looksLikeFrame(bytes) : values.as === "frame";
      console.log(JSON.stringify(asFrame ? decodeFrame(bytes) : decodeNdefJson(bytes), null, 2));
      return 0;
    } catch (error) {
      if (error instanceof DecodeError) {
        console.error(`payterm: ${error.message}`);
        return 1;
      }
      throw error;
    }
  },
};
