/**
 * Every NFC failure is an NfcError with a stable code (for logs, telemetry and tests) and a
 * message that says what was seen and what was expected.
 */
export type NfcErrorCode =
  /** PN532 host-link frames (frame.ts, link.ts). */
  | "frame-length-checksum"
  | "frame-data-checksum"
  | "frame-postamble"
  | "frame-truncated"
  | "frame-too-long"
  | "frame-direction"
  | "frame-unexpected"
  | "syntax-error"
  | "ack-timeout"
  | "response-timeout"
  | "bus"
  | "aborted"
  | "closed"
  | "busy"
  /** The PN532's own status byte (InDataExchange, TgGetData...) was not 0x00. */
  | "controller-status"
  | "controller-unknown"
  /** What came back from a tag, or a phone. */
  | "bad-response"
  | "not-ndef"
  | "cc"
  | "tlv"
  | "apdu"
  | "ndef"
  | "too-large"
  /** An application callback threw; the driver carried on. */
  | "callback";

export class NfcError extends Error {
  constructor(
    readonly code: NfcErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "NfcError";
  }
}

export function hexByte(value: number): string {
  return `0x${value < 16 ? "0" : ""}${value.toString(16).toUpperCase()}`;
}
