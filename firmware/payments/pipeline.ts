/**
 * The payment pipeline, in the order it runs:
 *   receive -> decode -> verify -> de-duplicate -> journal -> announce -> ack
 * Every message ends in exactly one ack: announced, duplicate, or rejected with a reason code. A
 * copy of a confirmation whose "announced" ack the broker has not taken yet is answered with that
 * ack again, not "duplicate" (ack-courier.ts).
 */
import type { Clock } from "../../hal/clock";
import type { Crypto } from "../../hal/crypto";
import type { Log } from "../../hal/log";
import type { Ack } from "./ack";
import type { AckSink } from "./ack-courier";
import type { PaymentConfirmation } from "./confirmation";
import { PipelineCounters } from "./counters";
import { decodeEnvelope } from "./envelope";
import type { Journal, JournalEntry } from "./journal";
import type { Keyring } from "./keyring";
import { Reason, Rejection } from "./reasons";
import { verifyConfirmation } from "./verify";

/**
 * Confirmations older than this on arrival (device clock) are refused as too old, with or without
 * an expiry: a device whose journal was erased must not announce a captured confirmation from
 * long ago, and a day is far beyond any outage the late policy folds into a summary.
 */
export const MAX_CONFIRMATION_AGE_MS = 24 * 60 * 60_000;

export interface PipelineOptions {
  deviceId: string;
  clock: Clock;
  crypto: Crypto;
  log: Log;
  keyring: Keyring;
  journal: Journal;
  /** Queues the announcement; returns once it is queued, not once it has played. */
  announce(entry: JournalEntry): void;
  /** Where the acks go: the announced ones must reach the broker (ack-courier.ts). */
  acks: AckSink;
}

export type Outcome =
  | { status: "announced"; entry: JournalEntry }
  | { status: "duplicate"; entry: JournalEntry }
  | { status: "rejected"; rejection: Rejection };

export class PaymentPipeline {
  readonly counters = new PipelineCounters();
  readonly #o: PipelineOptions;

  constructor(options: PipelineOptions) {
    this.#o = options;
  }

  /**
   * Runs one MQTT payload through the pipeline. `settle` releases the transport's QoS 1
   * acknowledgement; it runs once the outcome is durable (journaled, or known to be rejected).
   */
  receive(payload: Uint8Array, settle: () => void = () => {}): Outcome {
    this.counters.received++;
    const now = this.#o.clock.now();
    let outcome: Outcome;
    try {
      const envelope = decodeEnvelope(payload);
      const confirmation = verifyConfirmation(envelope, this.#o.keyring, this.#o.crypto, this.#o.deviceId);
      outcome = this.#admit(confirmation, now);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      outcome = { status: "rejected", rejection: error };
    }
    settle();
    this.#report(outcome, now);
    if (outcome.status === "announced") {
      this.#o.announce(outcome.entry);
      this.#o.journal.markAnnounced(outcome.entry);
      this.#o.acks.announced(outcome.entry);
    } else if (outcome.status === "duplicate" && outcome.entry.state === "announced") {
      this.#o.acks.announced(outcome.entry);
    } else {
      this.#o.acks.send(this.#ackFor(outcome, now));
    }
    return outcome;
  }

  #admit(confirmation: PaymentConfirmation, now: number): Outcome {
    const { journal } = this.#o;
    const id = confirmation.transactionId;
    const known = journal.find(id);
    if (known) return { status: "duplicate", entry: known };
    if (confirmation.expiresAt !== undefined && now > confirmation.expiresAt)
      throw new Rejection(Reason.expired, `expired ${now - confirmation.expiresAt} ms ago`, id);
    if (confirmation.confirmedAt <= journal.floor)
      throw new Rejection(Reason.tooOld, `confirmed at ${confirmation.confirmedAt}, not after ${journal.floor}, the oldest the journal can tell apart`, id);
    if (now - confirmation.confirmedAt > MAX_CONFIRMATION_AGE_MS)
      throw new Rejection(Reason.tooOld, `confirmed ${now - confirmation.confirmedAt} ms ago, more than ${MAX_CONFIRMATION_AGE_MS}`, id);
    try {
      return { status: "announced", entry: this.#o.journal.append(confirmation, now) };
    } catch (error) {
      throw new Rejection(Reason.journalFailed, error instanceof Error ? error.message : String(error), id);
    }
  }

  #report(outcome: Outcome, now: number): void {
    const log = this.#o.log;
    if (outcome.status === "rejected") {
      const r = outcome.rejection;
      this.counters.reject(r.reason);
      log.event("warn", "rejected", { reason: r.reason, detail: r.detail, txn: r.transactionId, at: now });
      return;
    }
    const c = outcome.entry.confirmation;
    if (outcome.status === "duplicate") {
      this.counters.duplicates++;
      const answer = outcome.entry.state === "announced" ? "announced" : "duplicate";
      log.event("info", "duplicate", { txn: c.transactionId, seq: outcome.entry.sequence, answer });
      return;
    }
    this.counters.announced++;
    log.event("info", "verified", { txn: c.transactionId, amt: c.amountMinor, cur: c.currency, prov: c.provider });
    log.event("info", "journaled", { txn: c.transactionId, seq: outcome.entry.sequence });
  }

  #ackFor(outcome: Exclude<Outcome, { status: "announced" }>, now: number): Ack {
    if (outcome.status === "rejected")
      return { status: "rejected", transactionId: outcome.rejection.transactionId, reason: outcome.rejection.reason, sequence: undefined, at: now };
    return { status: "duplicate", transactionId: outcome.entry.confirmation.transactionId, reason: Reason.duplicate, sequence: outcome.entry.sequence, at: now };
  }
}
