/**
 * Step 7, made durable: the "announced" ack of a journaled payment goes out until the broker has
 * taken it (PUBACK), and only then does the journal mark the entry acked. An ack still outstanding
 * is sent again on every connect, oldest first, before the outbox, and is the answer to a
 * redelivered copy of its confirmation. So when the broker dies between the announcement and the
 * ack, the service still hears "announced", not "duplicate" from its own retry.
 *
 * Outstanding acks never wait in the session's outbox: the journal is where they wait, which also
 * keeps them across a restart. Other acks ("duplicate", "rejected") go through the outbox: losing
 * one costs nothing, since a repeat of the message gets the same answer.
 */
import type { Log } from "../../hal/log";
import { encodeAck, type Ack } from "./ack";
import type { Journal, JournalEntry } from "./journal";

/** Where the pipeline's acks go (step 7). */
export interface AckSink {
  /** An ack that may be lost: a repeat of the message gets the same answer. */
  send(ack: Ack): void;
  /** The "announced" ack of a journaled entry, which must reach the broker. */
  announced(entry: JournalEntry): void;
}

export interface AckCourierOptions {
  journal: Journal;
  log: Log;
  /** Publishes on the ack topic at QoS 1 through the session's outbox. */
  publish(payload: Uint8Array): void;
  /** Publishes on the ack topic at QoS 1 on the current connection; nothing while offline. */
  publishTracked(payload: Uint8Array, onPuback: () => void): void;
}

/** The ack an entry earned when it was announced: the same bytes however often it is sent. */
export function announcedAck(entry: JournalEntry): Ack {
  return { status: "announced", transactionId: entry.confirmation.transactionId, reason: undefined, sequence: entry.sequence, at: entry.receivedAt };
}

export class AckCourier implements AckSink {
  readonly #o: AckCourierOptions;

  constructor(options: AckCourierOptions) {
    this.#o = options;
  }

  send(ack: Ack): void {
    this.#o.publish(encodeAck(ack));
  }

  /** Now when online; otherwise the next connect sends it (`resend`). */
  announced(entry: JournalEntry): void {
    this.#o.publishTracked(encodeAck(announcedAck(entry)), () => this.#taken(entry));
  }

  /** On every connect: each ack the broker has not taken yet, oldest first. */
  resend(): void {
    const outstanding = this.#o.journal.unacked();
    if (outstanding.length === 0) return;
    this.#o.log.event("info", "acks-resent", { count: outstanding.length, first: outstanding[0].sequence });
    for (const entry of outstanding) this.announced(entry);
  }

  #taken(entry: JournalEntry): void {
    try {
      this.#o.journal.markAcked(entry);
    } catch (error) {
      // The entry stays outstanding and its ack goes out again on the next connect: a repeat the
      // service ignores.
      this.#o.log.event("warn", "ack-unrecorded", { txn: entry.confirmation.transactionId, detail: error instanceof Error ? error.message : String(error) });
    }
  }
}
