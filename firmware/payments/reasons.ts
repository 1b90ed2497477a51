/**
 * Why a confirmation was not announced, or a command not run. The codes travel in acks, command
 * results and telemetry, so they are part of the protocol: add new ones, never renumber or reuse.
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
  /** Older than what the journal (or the command ledger) can still de-duplicate. */
  tooOld: "too_old",
  /** Commands (firmware/commands): no handler is registered under the name. */
  unknownCommand: "unknown_command",
  /** Commands: the handler refused its arguments. */
  badArgs: "bad_args",
  /** Commands: key management needs the current key, not one being retired. */
  keyNotCurrent: "key_not_current",
  /** Commands: the handler failed while running. */
  commandFailed: "command_failed",
  /** Commands: `update` was given a release the device must not take (the update's reason in msg). */
  updateRefused: "update_refused",
} as const);

export type ReasonCode = (typeof Reason)[keyof typeof Reason];

export class Rejection {
  /** `transactionId` is the transaction's id, or the command's, when it could be read. */
  constructor(readonly reason: ReasonCode, readonly detail: string, readonly transactionId?: string) {}
}
