/**
 * Why a confirmation was not announced. The codes travel in acks and telemetry, so they are
 * part of the protocol: add new ones, never renumber or reuse.
 */
export const Reason = Object.freeze({
  tooLarge: "too_large",
  notCbor: "not_cbor",
  badEnvelope: "bad_envelope",
  unsupportedVersion: "unsupported_version",
  unknownKey: "unknown_key",
  badTag: "bad_tag",
  badBody: "bad_body",
  missingField: "missing_field",
  badField: "bad_field",
  amountRange: "amount_range",
  unknownCurrency: "unknown_currency",
  wrongDevice: "wrong_device",
  expired: "expired",
  duplicate: "duplicate",
  journalFailed: "journal_failed",
} as const);

export type ReasonCode = (typeof Reason)[keyof typeof Reason];

export class Rejection {
  constructor(readonly reason: ReasonCode, readonly detail: string, readonly transactionId?: string) {}
}
