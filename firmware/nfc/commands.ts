/**
 * The PN532 commands the driver uses (UM0701-02 chapter 7), their parameters and the parsing of
 * their responses. A response's first byte is the command code + 1; the parsers here are given
 * what follows it.
 */
import { hexByte, NfcError } from "./errors";

/** Command codes, UM0701-02 section 7.1 table. */
export const COMMAND = Object.freeze({
  GET_FIRMWARE_VERSION: 0x02,
  SAM_CONFIGURATION: 0x14,
  RF_CONFIGURATION: 0x32,
  IN_DATA_EXCHANGE: 0x40,
  IN_LIST_PASSIVE_TARGET: 0x4a,
  IN_RELEASE: 0x52,
  TG_GET_DATA: 0x86,
  TG_INIT_AS_TARGET: 0x8c,
  TG_SET_DATA: 0x8e,
});

export const COMMAND_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0x00: "Diagnose",
  0x02: "GetFirmwareVersion",
  0x04: "GetGeneralStatus",
  0x06: "ReadRegister",
  0x08: "WriteRegister",
  0x12: "SetParameters",
  0x14: "SAMConfiguration",
  0x16: "PowerDown",
  0x32: "RFConfiguration",
  0x40: "InDataExchange",
  0x42: "InCommunicateThru",
  0x44: "InDeselect",
  0x4a: "InListPassiveTarget",
  0x52: "InRelease",
  0x54: "InSelect",
  0x60: "InAutoPoll",
  0x86: "TgGetData",
  0x88: "TgGetInitiatorCommand",
  0x8c: "TgInitAsTarget",
  0x8e: "TgSetData",
  0x90: "TgResponseToInitiator",
});

export function commandName(code: number): string {
  return COMMAND_NAMES[code] ?? `command ${hexByte(code)}`;
}

/** The status byte's error codes, UM0701-02 section 7.1 (error codes table). */
export const STATUS_TEXT: Readonly<Record<number, string>> = Object.freeze({
  0x01: "time out, the target has not answered",
  0x02: "CRC error detected by the CIU",
  0x03: "parity error detected by the CIU",
  0x04: "erroneous bit count during anti-collision",
  0x05: "framing error during MIFARE operation",
  0x06: "abnormal bit collision during 106 kbps anti-collision",
  0x07: "communication buffer size insufficient",
  0x09: "RF buffer overflow detected by the CIU",
  0x0a: "RF field not switched on in time by the counterpart",
  0x0b: "RF protocol error",
  0x0d: "temperature error, the antenna drivers were switched off",
  0x0e: "internal buffer overflow",
  0x10: "invalid parameter",
  0x12: "DEP protocol: unsupported command from the initiator",
  0x13: "DEP protocol: invalid data format",
  0x14: "MIFARE: authentication error",
  0x23: "ISO/IEC 14443-3: UID check byte is wrong",
  0x25: "DEP protocol: invalid device state",
  0x26: "operation not allowed in this configuration",
  0x27: "command not acceptable in the current context",
  0x29: "the PN532 as target has been released by its initiator",
  0x2a: "card ID does not match, the card has been exchanged",
  0x2b: "the activated card has disappeared",
  0x2c: "NFCID3 mismatch between initiator and target",
  0x2d: "over-current event detected",
  0x2e: "NAD missing in DEP frame",
});

/** Status codes the driver acts on by name. */
export const STATUS = Object.freeze({
  OK: 0x00,
  TIMEOUT: 0x01,
  RELEASED: 0x29,
  DISAPPEARED: 0x2b,
});

/** The error code in a status byte (bits 5..0); bit 6 is MI (more information), bit 7 NAD. */
export function statusCode(status: number): number {
  return status & 0x3f;
}

export function statusError(command: number, status: number): NfcError {
  const code = statusCode(status);
  const text = STATUS_TEXT[code];
  return new NfcError(text ? "controller-status" : "controller-unknown", `${commandName(command)}: status ${hexByte(code)} (${text ?? "not a documented error code"})`);
}

export interface FirmwareVersion {
  /** 0x32 for a PN532. */
  ic: number;
  version: number;
  revision: number;
  /** Bit 0 ISO/IEC 14443 A, bit 1 ISO/IEC 14443 B, bit 2 ISO 18092. */
  support: number;
}

export const PN532_IC = 0x32;

export function parseFirmwareVersion(data: Uint8Array): FirmwareVersion {
  if (data.length !== 4) throw new NfcError("bad-response", `GetFirmwareVersion answered ${data.length} bytes, expected 4`);
  return { ic: data[0], version: data[1], revision: data[2], support: data[3] };
}

/** SAMConfiguration: normal mode (no SAM), virtual-card timeout 1 s (20 x 50 ms), IRQ pin used. */
export const SAM_NORMAL: Uint8Array = Uint8Array.of(0x01, 0x14, 0x01);

/** RFConfiguration items, UM0701-02 section 7.3.1. */
export const RF_ITEM = Object.freeze({
  FIELD: 0x01,
  TIMINGS: 0x02,
  MAX_RETRIES: 0x05,
});

/** InListPassiveTarget baud rate and modulation: 106 kbps ISO/IEC 14443 Type A. */
export const BRTY_106A = 0x00;

/** SEL_RES (SAK) bit 6: the target is ISO/IEC 14443-4 compliant (ISO-DEP). */
export const SAK_ISO14443_4 = 0x20;

export interface TargetA {
  /** Target number the PN532 gave it (1 or 2), used by InDataExchange and InRelease. */
  tg: number;
  /** SENS_RES (ATQA) as the PN532 reports it, first byte high. */
  atqa: number;
  /** SEL_RES (SAK). */
  sak: number;
  /** NFCID1: 4, 7 or 10 bytes. */
  uid: Uint8Array;
  /** Answer to select (TL first) for ISO/IEC 14443-4 targets. */
  ats: Uint8Array | undefined;
}

const UID_LENGTHS = [4, 7, 10];

/**
 * InListPassiveTarget's answer for 106 kbps Type A: NbTg, then Tg SENS_RES(2) SEL_RES
 * NFCIDLength NFCID1 [ATS]. Returns undefined when no target was found.
 */
export function parseTargetA(data: Uint8Array): TargetA | undefined {
  if (data.length < 1) throw new NfcError("bad-response", "InListPassiveTarget answered no NbTg byte");
  const count = data[0];
  if (count === 0) return undefined;
  if (count > 2) throw new NfcError("bad-response", `InListPassiveTarget reported ${count} targets; at most 2 exist`);
  if (data.length < 6) throw new NfcError("bad-response", `InListPassiveTarget target data is ${data.length - 1} bytes, at least 5 are needed before the UID`);
  const tg = data[1];
  const atqa = (data[2] << 8) | data[3];
  const sak = data[4];
  const uidLength = data[5];
  if (!UID_LENGTHS.includes(uidLength)) throw new NfcError("bad-response", `NFCID1 length ${uidLength} is not 4, 7 or 10`);
  if (data.length < 6 + uidLength) throw new NfcError("bad-response", `NFCID1 of ${uidLength} bytes runs past the ${data.length}-byte answer`);
  const uid = data.slice(6, 6 + uidLength);
  let ats: Uint8Array | undefined;
  let at = 6 + uidLength;
  if ((sak & SAK_ISO14443_4) !== 0 && at < data.length) {
    const tl = data[at];
    if (tl < 1 || at + tl > data.length) throw new NfcError("bad-response", `ATS length byte ${tl} runs past the answer (${data.length - at} bytes left)`);
    ats = data.slice(at, at + tl);
    at += tl;
  }
  // A second target (MaxTg 2) would follow; the driver asks for one, so extra bytes are ignored.
  return { tg, atqa, sak, uid, ats };
}

/** TgInitAsTarget mode bits, UM0701-02 section 7.3.14. */
export const TARGET_MODE = Object.freeze({
  PASSIVE_ONLY: 0x01,
  DEP_ONLY: 0x02,
  PICC_ONLY: 0x04,
});

/**
 * TgInitAsTarget parameters for an ISO/IEC 14443-4 Type A card (a Type 4 tag): passive, PICC
 * only; SENS_RES 0x0004; NFCID1t 3 bytes (the PN532 prefixes 0x08, a random UID, as phones do);
 * SEL_RES 0x20 (ISO-DEP); FeliCa parameters and NFCID3t zero; no general or historical bytes.
 * Layout: Mode, MifareParams(6), FeliCaParams(18), NFCID3t(10), LEN Gt, LEN Tk.
 */
export function type4TargetParams(nfcid1t: Uint8Array): Uint8Array {
  if (nfcid1t.length !== 3) throw new RangeError("NFCID1t is 3 bytes");
  const params = new Uint8Array(1 + 6 + 18 + 10 + 1 + 1);
  params[0] = TARGET_MODE.PASSIVE_ONLY | TARGET_MODE.PICC_ONLY;
  params[1] = 0x04;
  params[2] = 0x00;
  params.set(nfcid1t, 3);
  params[6] = SAK_ISO14443_4;
  return params;
}
