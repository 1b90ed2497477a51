/**
 * A tag-reading procedure as an explicit state machine over InDataExchange: it says what to send
 * first, and for each answer what to send next, until it is finished. The reader owns the bus
 * and the timing; the procedure owns the tag's protocol. Protocol violations throw NfcError.
 */
export interface TagProcedure {
  /** Writes the first command for the tag into `out`; returns its length. */
  begin(out: Uint8Array): number;
  /** Consumes the tag's answer; writes the next command into `out` and returns its length, or 0 when done. */
  next(answer: Uint8Array, out: Uint8Array): number;
  /** The NDEF message read, once done; undefined if the tag holds none. */
  readonly ndef: Uint8Array | undefined;
  /** The most bytes the tag's next answer can have: sizes the bus reads (a longer one costs a resend). */
  readonly answerBytes: number;
}
