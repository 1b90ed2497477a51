/**
 * payterm nfc decode HEX: a PN532 frame (UM0701-02 section 6.2.1) or an NDEF message as JSON,
 * read with the firmware's own decoders; exit 1 with the precise reason when the bytes break a
 * rule. Bytes starting with a PN532 start code (00 FF, or 00 00 FF) are a frame, others an NDEF
 * message; `--as` says which when the guess would be wrong.
 *
 * payterm nfc sign-tag: a technician's provisioning tag (docs/nfc.md) signed with the operator's
 * key, as the NDEF message and the Type 2 TLV bytes to write with any NFC writer; checked with
 * the firmware's own verification before it is printed.
 */
import { COMMAND, commandName, parseFirmwareVersion, parseTargetA, STATUS_TEXT, statusCode } from "../../firmware/nfc/commands";
import { hexByte, NfcError } from "../../firmware/nfc/errors";
import { FRAME, FrameScan, scanFrame } from "../../firmware/nfc/frame";
import { decodeNdef, viewRecord } from "../../firmware/nfc/ndef";
import { MAX_FRAME_DATA } from "../../firmware/nfc/pn532";
import { verifyProvisioning, ProvisioningError } from "../../firmware/nfc/provisioning-tag";
import { isValidDeviceId } from "../../firmware/protocol/topics";
import { nodeCrypto } from "../hal/node-crypto";
import { ensureProvisioningKey, loadProvisioningKey } from "../nfc/operator-key";
import { provisioningMessage, type ProvisioningTagInput } from "../nfc/provisioning-writer";
import { ndefTlv } from "../nfc/tags";
import { integerArg, MAX_EXPIRY_S, parseWithPositionals, UsageError } from "./args";
import type { Command } from "./command";
import { DEFAULT_STATE_DIR } from "./state-dir";

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

const SIGN_FLAGS = {
  device: { type: "string" },
  seq: { type: "string" },
  "expires-in": { type: "string", default: "3600" },
  ssid: { type: "string" },
  psk: { type: "string" },
  broker: { type: "string" },
  vpa: { type: "string" },
  payee: { type: "string" },
  key: { type: "string" },
  state: { type: "string" },
} as const;

const BROKER_URL = /^(mqtts?):\/\/([A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/;

/** Builds, signs and self-checks a provisioning tag from the sign-tag flags. */
export function signTag(o: { [K in keyof typeof SIGN_FLAGS]?: string }, now = Date.now()): Record<string, unknown> {
  if (!o.device || !isValidDeviceId(o.device)) throw new UsageError("--device ID is required: 1-64 of [A-Za-z0-9_-]");
  const seq = integerArg(o.seq, "--seq", 1, 0x7fffffff) ?? Math.floor(now / 1000);
  const expiresIn = integerArg(o["expires-in"], "--expires-in (seconds)", 1, MAX_EXPIRY_S) as number;
  const input: ProvisioningTagInput = { deviceId: o.device, seq, expiresAt: now + expiresIn * 1000 };
  if (o.ssid !== undefined || o.psk !== undefined) {
    if (o.ssid === undefined) throw new UsageError("--psk needs --ssid");
    input.wifi = { ssid: o.ssid, psk: o.psk ?? "" };
  }
  if (o.broker !== undefined) {
    const match = BROKER_URL.exec(o.broker);
    if (!match) throw new UsageError(`--broker must be mqtt://host[:port] or mqtts://host[:port], got ${JSON.stringify(o.broker)}`);
    const tls = match[1] === "mqtts";
    input.broker = { host: match[2], port: match[3] === undefined ? (tls ? 8883 : 1883) : Number(match[3]), tls };
  }
  if (o.vpa !== undefined || o.payee !== undefined) {
    if (o.vpa === undefined || o.payee === undefined) throw new UsageError("--vpa and --payee go together (the merchant binding)");
    input.merchant = { vpa: o.vpa, name: o.payee };
  }
  if (!input.wifi && !input.broker && !input.merchant) throw new UsageError("a provisioning tag must set something: --ssid, --broker or --vpa/--payee");
  const key = o.key !== undefined ? loadProvisioningKey(o.key) : ensureProvisioningKey(o.state ?? DEFAULT_STATE_DIR);
  const message = provisioningMessage(input, key.secretKey);
  // The device's own check, so a value it would refuse is caught here rather than at the counter.
  try {
    verifyProvisioning(decodeNdef(message)[0], { crypto: nodeCrypto, operatorKey: key.publicKey, deviceId: input.deviceId, now, lastSeq: 0 });
  } catch (error) {
    if (error instanceof ProvisioningError) throw new DecodeError(`the tag would be refused (${error.reason}): ${error.message}`);
    throw error;
  }
  const tlv = ndefTlv(message);
  return {
    device: input.deviceId,
    seq,
    expiresAt: new Date(input.expiresAt).toISOString(),
    sets: [input.wifi && "wifi", input.broker && "broker", input.merchant && "merchant"].filter(Boolean),
    operatorKey: key.publicKeyHex,
    ndefBytes: message.length,
    ndef: hex(message),
    type2Tlv: hex(tlv),
  };
}

export const nfcCommand: Command = {
  name: "nfc",
  usage: [
    "payterm nfc decode HEX [--as frame|ndef]    a PN532 frame or an NDEF message as JSON",
    "payterm nfc sign-tag --device ID [--ssid S --psk P] [--broker mqtts://host:port] [--vpa V --payee NAME] [--seq N] [--expires-in SECONDS] [--key OPERATOR.pem | --state DIR]",
  ],
  async run(args) {
    const result = args[0] === "sign-tag" ? signTagArgs(args.slice(1)) : decodeArgs(args);
    try {
      console.log(JSON.stringify(result(), null, 2));
      return 0;
    } catch (error) {
      // Bytes that do not decode, a tag a device would refuse: exit 1 with the reason.
      if (error instanceof DecodeError) {
        console.error(`payterm: ${error.message}`);
        return 1;
      }
      throw error;
    }
  },
};

/** `nfc sign-tag` checked for usage; the work to do once it is. */
function signTagArgs(args: string[]): () => Record<string, unknown> {
  const { values, positionals } = parseWithPositionals(args, SIGN_FLAGS);
  if (positionals.length > 0) throw new UsageError(`nfc sign-tag takes flags only, got ${JSON.stringify(positionals[0])}`);
  return () => signTag(values);
}

/** `nfc decode HEX` checked for usage; the work to do once it is. */
function decodeArgs(args: string[]): () => Record<string, unknown> {
  const { values, positionals } = parseWithPositionals(args, { as: { type: "string" } });
  const [verb, input, ...extra] = positionals;
  if (verb !== "decode") throw new UsageError(verb === undefined ? "nfc needs a verb: decode or sign-tag" : `unknown nfc verb ${JSON.stringify(verb)}; try decode or sign-tag`);
  if (input === undefined) throw new UsageError("nfc decode needs the bytes, as hex");
  if (extra.length > 0) throw new UsageError(`nfc decode takes one HEX argument; quote bytes with spaces ("00 00 FF ...")`);
  if (values.as !== undefined && values.as !== "frame" && values.as !== "ndef") throw new UsageError(`--as must be frame or ndef, got ${JSON.stringify(values.as)}`);
  return () => {
    const bytes = parseHex(input);
    const asFrame = values.as === undefined ? looksLikeFrame(bytes) : values.as === "frame";
    return asFrame ? decodeFrame(bytes) : decodeNdefJson(bytes);
  };
}
