/**
 * The charge flow of the QR display, one charge at a time:
 *
 *   request -> authenticate -> read -> build codes -> fit the screen -> shown (ack with the codes)
 *   shown --confirmation with its reference, same amount--> paid
 *   shown --confirmation with its reference, other amount--> mismatch (never shown as success)
 *   shown --deadline--> expired;  --cancel--> cancelled;  --newer charge--> replaced
 *
 * Every request ends in exactly one ack on the charge ack topic; a request that fails any check
 * is rejected with a reason and leaves the screen as it was.
 */
import type { Clock, TimerHandle, Timers } from "../../hal/clock";
import type { Crypto } from "../../hal/crypto";
import { KvError, type KeyValueStore } from "../../hal/kv";
import type { Log } from "../../hal/log";
import { decodeEnvelope } from "../payments/envelope";
import type { JournalEntry } from "../payments/journal";
import type { Keyring } from "../payments/keyring";
import { Rejection } from "../payments/reasons";
import { authenticateEnvelope } from "../payments/verify";
import { encodeChargeAck, type ChargeAck, type ChargeStatus } from "./charge-ack";
import { ChargeReason, ChargeRejection, parseChargeRequest, type ShowCharge } from "./charge-request";
import { chargeOffers, type MerchantDefaults, type SchemeOffer } from "./offers";
import { clearCharge, loadCharge, saveCharge } from "./charge-store";
import { ScreenFitError, type PreparedCharge, type QrDisplay } from "./qr-display";

export interface ChargeDeskOptions {
  deviceId: string;
  clock: Clock;
  timers: Timers;
  crypto: Crypto;
  keyring: Keyring;
  log: Log;
  screen: QrDisplay;
  merchant: MerchantDefaults;
  /** Where the charge on offer is kept across restarts (charge-store.ts); none, it is not. */
  kv?: KeyValueStore;
  /** Publishes an encoded charge ack. */
  publishAck(payload: Uint8Array): void;
}

/** The charge on offer, for other ways of presenting it (NFC card emulation hands over `upiLink`). */
export interface CurrentCharge {
  reference: string;
  amountMinor: number;
  currency: string;
  expiresAt: number;
  upiLink: string | undefined;
  emvPayload: string | undefined;
}

interface Active {
  reference: string;
  amountMinor: number;
  currency: string;
  expiresAt: number;
  offers: SchemeOffer[];
  expiry: TimerHandle;
}

interface Finished {
  status: ChargeStatus;
  amountMinor: number;
  currency: string;
  transactionId?: string;
  paidMinor?: number;
}

/** Finished charges remembered, so a redelivered request or a late payment is answered right. */
const REMEMBERED = 16;

export class ChargeDesk {
  #active: Active | undefined;
  readonly #finished = new Map<string, Finished>();
  readonly #o: ChargeDeskOptions;

  constructor(options: ChargeDeskOptions) {
    this.#o = options;
  }

  current(): CurrentCharge | undefined {
    const active = this.#active;
    if (!active) return undefined;
    const code = (scheme: string) => active.offers.find((o) => o.scheme === scheme)?.payload;
    return { reference: active.reference, amountMinor: active.amountMinor, currency: active.currency, expiresAt: active.expiresAt, upiLink: code("upi"), emvPayload: code("emv") };
  }

  /**
   * After a restart: the charge that was on offer comes back on screen until its deadline; one
   * whose deadline passed while the device was off is reported expired.
   */
  restore(): void {
    const kv = this.#o.kv;
    const stored = kv && loadCharge(kv);
    if (!kv || !stored) return;
    const now = this.#o.clock.now();
    if (now >= stored.expiresAt) {
      clearCharge(kv);
      this.#remember(stored.reference, { status: "expired", amountMinor: stored.amountMinor, currency: stored.currency });
      this.#ack({ status: "expired", reference: stored.reference });
      return;
    }
    let prepared;
    try {
      prepared = this.#o.screen.prepareCharge(stored);
    } catch (error) {
      if (!(error instanceof ScreenFitError)) throw error;
      clearCharge(kv);
      this.#o.log.event("warn", "charge-not-restored", { ref: stored.reference, detail: error.message });
      return;
    }
    this.#offer(stored, stored.offers, prepared, now);
    this.#o.log.event("info", "charge-restored", { ref: stored.reference });
  }

  /** One MQTT payload from the charge topic. */
  receive(payload: Uint8Array): ChargeAck {
    let ack: ChargeAck;
    try {
      const request = parseChargeRequest(authenticateEnvelope(decodeEnvelope(payload), "charge", this.#o.keyring, this.#o.crypto));
      if (request.deviceId !== this.#o.deviceId)
        throw new ChargeRejection(ChargeReason.wrongDevice, `addressed to ${request.deviceId}`, request.reference);
      ack = request.op === "cancel" ? this.#cancel(request.reference) : this.#show(request);
    } catch (error) {
      if (error instanceof Rejection) ack = this.#ack({ status: "rejected", reference: undefined, reason: error.reason, message: error.detail });
      else if (error instanceof ChargeRejection) ack = this.#ack({ status: "rejected", reference: error.reference, reason: error.reason, message: error.detail });
      else throw error;
      this.#o.log.event("warn", "charge-rejected", { ref: ack.reference, reason: ack.reason, detail: ack.message });
    }
    return ack;
  }

  /** The payment pipeline's hook: a confirmation was verified and journaled. */
  confirmed(entry: JournalEntry): void {
    const c = entry.confirmation;
    const paid = { amountMinor: c.amountMinor, currency: c.currency, provider: c.provider, reference: c.reference };
    const active = this.#active;
    const asked = active && active.reference === c.reference ? active : c.reference !== undefined ? this.#finished.get(c.reference) : undefined;
    if (!asked || c.reference === undefined) {
      // A payment to the static code, or for a charge this device no longer knows.
      if (c.reference !== undefined) this.#o.log.event("warn", "charge-unknown", { ref: c.reference, txn: c.transactionId });
      this.#o.screen.showPaid(paid, c.transactionId);
      return;
    }
    const matches = asked.amountMinor === c.amountMinor && asked.currency === c.currency;
    const status: ChargeStatus = matches ? "paid" : "mismatch";
    const show = matches
      ? () => this.#o.screen.showPaid(paid, c.transactionId)
      : () => this.#o.screen.showMismatch({ ...paid, expectedMinor: asked.amountMinor, expectedCurrency: asked.currency }, c.transactionId);
    const outcome = { transactionId: c.transactionId, paidMinor: c.amountMinor };
    if (active && active.reference === c.reference) this.#end(status, outcome, show);
    else {
      this.#remember(c.reference, { status, amountMinor: asked.amountMinor, currency: asked.currency, ...outcome });
      show();
    }
    if (!matches) this.#o.log.event("warn", "charge-mismatch", { ref: c.reference, txn: c.transactionId, asked: asked.amountMinor, paid: c.amountMinor, cur: c.currency });
    this.#ack({ status, reference: c.reference, transactionId: c.transactionId, amountMinor: c.amountMinor, currency: c.currency });
  }

  /** The function button: the charge's other code. */
  nextOffer(): void {
    this.#o.screen.nextOffer();
  }

  stop(): void {
    if (this.#active) this.#o.timers.clear(this.#active.expiry);
    this.#active = undefined;
  }

  #show(request: ShowCharge): ChargeAck {
    const now = this.#o.clock.now();
    const active = this.#active;
    if (active && active.reference === request.reference) {
      const same = active.amountMinor === request.amountMinor && active.currency === request.currency && active.expiresAt === request.expiresAt;
      if (!same) throw new ChargeRejection(ChargeReason.referenceReused, "a different charge with this reference is on screen", request.reference);
      return this.#ack({ status: "shown", reference: request.reference, codes: codesOf(active.offers) });
    }
    const finished = this.#finished.get(request.reference);
    if (finished) return this.#ack({ status: finished.status, reference: request.reference, transactionId: finished.transactionId, amountMinor: finished.paidMinor, currency: finished.paidMinor === undefined ? undefined : finished.currency });
    if (now >= request.expiresAt) throw new ChargeRejection(ChargeReason.expired, `expired ${now - request.expiresAt} ms ago`, request.reference);
    const offers = chargeOffers(request, this.#o.merchant);
    let prepared;
    try {
      prepared = this.#o.screen.prepareCharge({ reference: request.reference, amountMinor: request.amountMinor, currency: request.currency, expiresAt: request.expiresAt, offers });
    } catch (error) {
      if (error instanceof ScreenFitError) throw new ChargeRejection(ChargeReason.tooLargeForScreen, error.message, request.reference);
      throw error;
    }
    if (active) {
      this.#end("replaced", {});
      this.#ack({ status: "replaced", reference: active.reference });
    }
    this.#offer(request, offers, prepared, now);
    if (this.#o.kv) {
      try {
        saveCharge(this.#o.kv, { reference: request.reference, amountMinor: request.amountMinor, currency: request.currency, expiresAt: request.expiresAt, offers });
      } catch (error) {
        if (!(error instanceof KvError)) throw error;
        this.#o.log.event("warn", "charge-not-saved", { ref: request.reference, detail: error.message });
      }
    }
    this.#o.log.event("info", "charge-shown", { ref: request.reference, amt: request.amountMinor, cur: request.currency, codes: offers.map((o) => o.scheme).join(" ") });
    return this.#ack({ status: "shown", reference: request.reference, codes: codesOf(offers) });
  }

  #offer(charge: { reference: string; amountMinor: number; currency: string; expiresAt: number }, offers: SchemeOffer[], prepared: PreparedCharge, now: number): void {
    const expiry = this.#o.timers.once(() => this.#expire(charge.reference), charge.expiresAt - now);
    this.#active = { reference: charge.reference, amountMinor: charge.amountMinor, currency: charge.currency, expiresAt: charge.expiresAt, offers, expiry };
    this.#o.screen.offerCharge(prepared);
  }

  #cancel(reference: string): ChargeAck {
    const active = this.#active;
    if (!active || active.reference !== reference) throw new ChargeRejection(ChargeReason.notActive, "no charge with this reference is on screen", reference);
    this.#end("cancelled", {}, () => this.#o.screen.showEnded("cancelled", active));
    return this.#ack({ status: "cancelled", reference });
  }

  #expire(reference: string): void {
    const active = this.#active;
    if (!active || active.reference !== reference) return;
    this.#end("expired", {}, () => this.#o.screen.showEnded("expired", active));
    this.#o.log.event("info", "charge-expired", { ref: reference });
    this.#ack({ status: "expired", reference });
  }

  /**
   * Takes the active charge off offer and remembers how it ended. `show` puts up the screen that
   * says so before the code is withdrawn, so the code never lingers and no idle frame flashes
   * in between; a replaced charge has none (the next one is drawn over it).
   */
  #end(status: ChargeStatus, outcome: { transactionId?: string; paidMinor?: number }, show?: () => void): void {
    const active = this.#active as Active;
    this.#o.timers.clear(active.expiry);
    this.#active = undefined;
    if (this.#o.kv) clearCharge(this.#o.kv);
    this.#remember(active.reference, { status, amountMinor: active.amountMinor, currency: active.currency, ...outcome });
    if (show) {
      show();
      this.#o.screen.endCharge();
    }
  }

  #remember(reference: string, finished: Finished): void {
    this.#finished.delete(reference);
    this.#finished.set(reference, finished);
    if (this.#finished.size > REMEMBERED) this.#finished.delete(this.#finished.keys().next().value as string);
  }

  #ack(ack: Omit<ChargeAck, "at">): ChargeAck {
    const full: ChargeAck = { ...ack, at: this.#o.clock.now() };
    this.#o.publishAck(encodeChargeAck(full));
    return full;
  }
}

function codesOf(offers: readonly SchemeOffer[]): { upi?: string; emv?: string } {
  const codes: { upi?: string; emv?: string } = {};
  for (const offer of offers) codes[offer.scheme] = offer.payload;
  return codes;
}
