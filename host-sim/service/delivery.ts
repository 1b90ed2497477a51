/**
 * Delivery tracking: the payment service's half of exactly-once. Each confirmation is followed
 * from its first publication to the device's application-level ack:
 *
 *   published --no ack in time--> retrying --ack--> announced | duplicate | rejected
 *       |                            |
 *       +------------ not acked by the confirmation's expiry ------------> expired
 *
 * A retry republishes the same signed bytes (same transaction id), so the device's journal
 * de-duplicates it. The wait between attempts grows geometrically up to a ceiling; retries stop at
 * the first ack or at the confirmation's expiry, after which the device refuses it anyway.
 *
 * The device de-duplicates against a journal of its last 256 entries, so a copy that arrives after
 * 256 newer confirmations would be announced again. The per-device window bounds that: a new
 * confirmation waits while the device already has `windowPerDevice` of them published since its
 * oldest unacknowledged one. MQTT keeps one session's messages in order, so every copy of a
 * confirmation reaches the device before anything published after it.
 *
 * The first wait adapts to how fast acks come back, as TCP's retransmission timer does (RFC 6298):
 * a smoothed ack time and its variation, from deliveries acked at their first attempt, give
 * `SRTT + 4 * RTTVAR`, never less than `ackTimeoutMs`; and a wait that runs out doubles it (once
 * per timeout, however many run out together) until the next sample (RFC 6298, 5.5). When the devices or the broker fall behind and acks take
 * seconds, retries wait for them instead of piling more copies on the backlog.
 *
 * With a store (delivery-store.ts) the state outlives the process: changes are written at most
 * every `persistEveryMs` and at close, and a restarted service resumes the retries of everything
 * still in flight. Settled deliveries are kept for `retentionMs`, and at most `maxSettled` of
 * them, in memory and in the file alike. A crash loses at most the last `persistEveryMs` of
 * changes: deliveries published in that window are not retried by the next run (the device still
 * gets any copy the broker holds for it).
 */
import type { DeliveryStore, StoredDelivery } from "./delivery-store";

export type DeliveryState = "published" | "retrying" | "announced" | "duplicate" | "rejected" | "expired";

export const TERMINAL_STATES: ReadonlySet<DeliveryState> = new Set(["announced", "duplicate", "rejected", "expired"]);

export interface DeviceAck {
  deviceId: string;
  status: "announced" | "duplicate" | "rejected";
  transactionId?: string;
  reason?: string;
  sequence?: number;
  at: number;
}

export interface DeliveryPolicy {
  /** How long to wait for the device's ack after the first publication, ms. */
  ackTimeoutMs: number;
  /** Each further wait is the previous one times this. */
  backoffFactor: number;
  /** Ceiling of the wait between attempts, ms. */
  maxBackoffMs: number;
  /** Expiry given to confirmations whose request names none, ms after confirmation. */
  defaultExpiresInMs: number;
  /** Confirmations one device may have outstanding, counted from its oldest unacknowledged one. Keep it below the device journal's 256. */
  windowPerDevice: number;
  /** Settled deliveries older than this are forgotten, ms. */
  retentionMs: number;
  /** At most this many settled deliveries are kept; the oldest go first. */
  maxSettled: number;
  /** Changes are written to the store at most this often, ms. */
  persistEveryMs: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  ackTimeoutMs: 5_000,
  backoffFactor: 2,
  maxBackoffMs: 60_000,
  defaultExpiresInMs: 15 * 60_000,
  windowPerDevice: 128,
  retentionMs: 24 * 60 * 60_000,
  maxSettled: 10_000,
  persistEveryMs: 500,
};

/** What the service knows about one transaction's delivery; times are ms since the epoch. */
function initialReport(transactionId: string, deviceId: string | undefined, expiresAt: number | undefined): DeliveryReport {
  return {
    transactionId,
    deviceId,
    state: "published",
    attempts: 0,
    firstPublishedAt: undefined,
    lastPublishedAt: undefined,
    nextAttemptAt: undefined,
    expiresAt,
    settledAt: undefined,
    ack: undefined,
    duplicateAcks: 0,
  };
}

export interface DeliveryReport {
  transactionId: string;
  deviceId: string | undefined;
  state: DeliveryState;
  /** Publications of the signed bytes: 1 + retries. */
  attempts: number;
  firstPublishedAt: number | undefined;
  lastPublishedAt: number | undefined;
  /** When the next retry is due, while one is. */
  nextAttemptAt: number | undefined;
  expiresAt: number | undefined;
  /** When it reached its final state. */
  settledAt: number | undefined;
  /** The ack that settled it. */
  ack: DeviceAck | undefined;
  /** Acks with status duplicate, including those after the one that settled it. */
  duplicateAcks: number;
}

export interface DeliveryStats {
  tracked: number;
  inFlight: number;
  published: number;
  retrying: number;
  announced: number;
  duplicate: number;
  rejected: number;
  expired: number;
  /** Publications beyond the first, since this tracker started (pruned deliveries included). */
  retries: number;
  acks: number;
  duplicateAcks: number;
}

export interface DeliveryTransport {
  /** Hands the bytes to the broker at QoS 1; resolves on its PUBACK. */
  send(deviceId: string, payload: Uint8Array): Promise<void>;
  readonly connected: boolean;
}

interface Waiter {
  resolve(ack: DeviceAck): void;
  reject(error: Error): void;
}

interface Delivery {
  report: DeliveryReport;
  payload: Uint8Array | undefined;
  /** Position in its device's window. */
  sequence: number;
  timer: NodeJS.Timeout | undefined;
  /** The wait before the next retry. */
  backoffMs: number;
  /** A retry fell due while the broker was unreachable: sent on the next connect. */
  due: boolean;
  waiters: Waiter[];
}

/** One device's window: service-side sequence numbers of its confirmations. */
class Lane {
  next = 0;
  #low = 0;
  readonly #pending = new Set<number>();
  readonly #waiting: ((sequence: number) => void)[] = [];

  constructor(private readonly size: number) {}

  get open(): boolean {
    while (this.#low < this.next && !this.#pending.has(this.#low)) this.#low++;
    return this.next - this.#low < this.size;
  }

  /** Resolves with a sequence number once the window has room, first come first served. */
  take(): Promise<number> {
    if (this.#waiting.length === 0 && this.open) return Promise.resolve(this.#reserve());
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** A place for a delivery restored from the store: taken whether or not the window has room. */
  adopt(): number {
    return this.#reserve();
  }

  release(sequence: number): void {
    if (!this.#pending.delete(sequence)) return;
    while (this.#waiting.length > 0 && this.open) (this.#waiting.shift() as (sequence: number) => void)(this.#reserve());
  }

  #reserve(): number {
    const sequence = this.next++;
    this.#pending.add(sequence);
    return sequence;
  }
}

export class DeliveryTracker {
  readonly policy: DeliveryPolicy;
  readonly #deliveries = new Map<string, Delivery>();
  readonly #lanes = new Map<string, Lane>();
  readonly #listeners = new Set<(report: DeliveryReport) => void>();
  #acks = 0;
  #duplicateAcks = 0;
  #retries = 0;
  #closed = false;
  #settled = 0;
  #housekeeping: NodeJS.Timeout | undefined;
  /** Smoothed ack time and its mean deviation, ms (RFC 6298); undefined before the first sample. */
  #srtt: number | undefined;
  #rttvar = 0;
  /** The timeout as doubled by waits that ran out since the last sample, ms. */
  #backedOff = 0;
  /** When it was last doubled: at most once per timeout, however many waits run out together. */
  #backedOffAt = -Infinity;

  constructor(
    private readonly transport: DeliveryTransport,
    policy: Partial<DeliveryPolicy> = {},
    private readonly now: () => number = Date.now,
    private readonly store?: DeliveryStore,
    restored: StoredDelivery[] = [],
  ) {
    this.policy = { ...DEFAULT_DELIVERY_POLICY, ...policy };
    for (const stored of restored) this.#restore(stored);
  }

  /** Called on every state change, with the report as it is then. */
  onChange(listener: (report: DeliveryReport) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  report(transactionId: string): DeliveryReport | undefined {
    const delivery = this.#deliveries.get(transactionId);
    return delivery && { ...delivery.report };
  }

  reports(): DeliveryReport[] {
    return [...this.#deliveries.values()].map((d) => ({ ...d.report }));
  }

  stats(): DeliveryStats {
    const stats: DeliveryStats = { tracked: 0, inFlight: 0, published: 0, retrying: 0, announced: 0, duplicate: 0, rejected: 0, expired: 0, retries: this.#retries, acks: this.#acks, duplicateAcks: this.#duplicateAcks };
    for (const { report } of this.#deliveries.values()) {
      stats.tracked++;
      stats[report.state]++;
      if (!TERMINAL_STATES.has(report.state)) stats.inFlight++;
    }
    return stats;
  }

  /**
   * Sends a signed confirmation and follows it to an ack or its expiry. Waits first for room in the
   * device's window; resolves once the broker has the first copy.
   */
  async deliver(transactionId: string, deviceId: string, payload: Uint8Array, expiresAt: number): Promise<void> {
    if (this.#closed) throw new Error("payment service is closed");
    const current = this.#deliveries.get(transactionId);
    if (current && !TERMINAL_STATES.has(current.report.state) && current.payload) {
      // Already on its way: one more copy, same bytes as before.
      this.#attempt(current);
      await this.transport.send(deviceId, current.payload);
      return;
    }
    let lane = this.#lanes.get(deviceId);
    if (!lane) this.#lanes.set(deviceId, (lane = new Lane(this.policy.windowPerDevice)));
    const sequence = await lane.take();
    const now = this.now();
    const delivery: Delivery = {
      report: initialReport(transactionId, deviceId, expiresAt),
      payload,
      sequence,
      timer: undefined,
      backoffMs: this.firstWaitMs,
      due: false,
      waiters: current?.waiters ?? [],
    };
    this.#deliveries.set(transactionId, delivery);
    if (now >= expiresAt) {
      this.#expire(delivery);
      return;
    }
    this.#attempt(delivery);
    await this.transport.send(deviceId, payload);
  }

  /** Resolves with the ack that settles the transaction; rejects if it expires first or on timeout. */
  waitForAck(transactionId: string, timeoutMs: number): Promise<DeviceAck> {
    let delivery = this.#deliveries.get(transactionId);
    if (!delivery) this.#deliveries.set(transactionId, (delivery = this.#untracked(transactionId, undefined)));
    if (delivery.report.ack) return Promise.resolve(delivery.report.ack);
    if (delivery.report.state === "expired") return Promise.reject(new Error(`${transactionId} expired without an ack`));
    const entry = delivery;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (ack) => {
          clearTimeout(timer);
          resolve(ack);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const index = entry.waiters.indexOf(waiter);
        if (index >= 0) entry.waiters.splice(index, 1);
        reject(new Error(`no ack for ${transactionId} within ${timeoutMs} ms`));
      }, timeoutMs);
      entry.waiters.push(waiter);
    });
  }

  /** The wait before the first retry of a new delivery: the retransmission timeout, ms. */
  get firstWaitMs(): number {
    const { ackTimeoutMs, maxBackoffMs } = this.policy;
    const measured = this.#srtt === undefined ? ackTimeoutMs : Math.round(this.#srtt + 4 * this.#rttvar);
    return Math.min(maxBackoffMs, Math.max(ackTimeoutMs, measured, this.#backedOff));
  }

  /** Karn's rule: only a delivery acked at its first attempt says how long an ack takes. */
  #sample(report: DeliveryReport): void {
    if (report.attempts !== 1 || report.firstPublishedAt === undefined) return;
    const rtt = this.now() - report.firstPublishedAt;
    this.#backedOff = 0;
    if (this.#srtt === undefined) {
      this.#srtt = rtt;
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
  }

  /** An ack arrived from a device. */
  acked(ack: DeviceAck): void {
    this.#acks++;
    if (ack.status === "duplicate") this.#duplicateAcks++;
    if (!ack.transactionId) return;
    let delivery = this.#deliveries.get(ack.transactionId);
    if (!delivery) this.#deliveries.set(ack.transactionId, (delivery = this.#untracked(ack.transactionId, ack.deviceId)));
    const report = delivery.report;
    // Only the device it was meant for can settle a transaction.
    if (report.deviceId !== undefined && report.deviceId !== ack.deviceId) return;
    if (ack.status === "duplicate") report.duplicateAcks++;
    // The first ack decides; a later "duplicate" (a redelivered copy) does not undo "announced".
    if (TERMINAL_STATES.has(report.state)) return;
    report.deviceId ??= ack.deviceId;
    report.ack = ack;
    if (delivery.sequence >= 0) this.#sample(report);
    this.#settle(delivery, ack.status);
    for (const waiter of delivery.waiters.splice(0)) waiter.resolve(ack);
  }

  /** The broker connection is back: send the retries that fell due while it was away. */
  reconnected(): void {
    for (const delivery of this.#deliveries.values()) {
      if (!delivery.due || TERMINAL_STATES.has(delivery.report.state)) continue;
      delivery.due = false;
      this.#retry(delivery);
    }
  }

  close(): void {
    this.#closed = true;
    for (const delivery of this.#deliveries.values()) {
      if (delivery.timer) clearTimeout(delivery.timer);
      delivery.timer = undefined;
      for (const waiter of delivery.waiters.splice(0)) waiter.reject(new Error("payment service closed"));
    }
    if (this.#housekeeping) this.#tidy();
  }

  /** Forgets settled deliveries past the retention period and beyond the count bound, oldest first. */
  prune(): number {
    const cutoff = this.now() - this.policy.retentionMs;
    let excess = this.#settled - this.policy.maxSettled;
    let removed = 0;
    for (const [id, delivery] of this.#deliveries) {
      const report = delivery.report;
      if (!TERMINAL_STATES.has(report.state) || delivery.waiters.length > 0) continue;
      if (excess <= 0 && (report.settledAt ?? 0) >= cutoff) continue;
      this.#deliveries.delete(id);
      this.#settled--;
      excess--;
      removed++;
    }
    return removed;
  }

  /** Puts a delivery from the last run back: settled ones as records, in-flight ones on their retry timers. */
  #restore(stored: StoredDelivery): void {
    const report = { ...stored.report };
    const terminal = TERMINAL_STATES.has(report.state);
    if (!terminal && (!stored.payload || report.deviceId === undefined)) return;
    let sequence = -1;
    if (!terminal) {
      const deviceId = report.deviceId as string;
      let lane = this.#lanes.get(deviceId);
      if (!lane) this.#lanes.set(deviceId, (lane = new Lane(this.policy.windowPerDevice)));
      sequence = lane.adopt();
    }
    const delivery: Delivery = { report, payload: terminal ? undefined : stored.payload, sequence, timer: undefined, backoffMs: stored.backoffMs, due: false, waiters: [] };
    this.#deliveries.set(report.transactionId, delivery);
    if (terminal) {
      this.#settled++;
      return;
    }
    if (this.now() >= (report.expiresAt ?? Infinity)) this.#expire(delivery);
    else this.#arm(delivery, report.nextAttemptAt ?? this.now());
  }

  #tidy(): void {
    if (this.#housekeeping) clearTimeout(this.#housekeeping);
    this.#housekeeping = undefined;
    this.prune();
    if (!this.store) return;
    const records: StoredDelivery[] = [];
    for (const delivery of this.#deliveries.values()) {
      if (delivery.sequence < 0 && !TERMINAL_STATES.has(delivery.report.state)) continue; // a waiter's placeholder
      records.push({ report: delivery.report, payload: TERMINAL_STATES.has(delivery.report.state) ? undefined : delivery.payload, backoffMs: delivery.backoffMs });
    }
    this.store.save(records, this.now());
  }

  #untracked(transactionId: string, deviceId: string | undefined): Delivery {
    // Sent by publishRaw or by an earlier run of the service: nothing to retry.
    return {
      report: initialReport(transactionId, deviceId, undefined),
      payload: undefined,
      sequence: -1,
      timer: undefined,
      backoffMs: 0,
      due: false,
      waiters: [],
    };
  }

  /** Counts a publication and arms the timer for the next one (or for expiry). */
  #attempt(delivery: Delivery): void {
    const report = delivery.report;
    const now = this.now();
    report.attempts++;
    if (report.attempts > 1) this.#retries++;
    report.firstPublishedAt ??= now;
    report.lastPublishedAt = now;
    if (report.attempts > 1) report.state = "retrying";
    this.#arm(delivery, now + delivery.backoffMs);
    delivery.backoffMs = Math.min(this.policy.maxBackoffMs, delivery.backoffMs * this.policy.backoffFactor);
    this.#changed(delivery);
  }

  #arm(delivery: Delivery, at: number): void {
    if (delivery.timer) clearTimeout(delivery.timer);
    const expiresAt = delivery.report.expiresAt ?? Infinity;
    const due = Math.min(at, expiresAt);
    delivery.report.nextAttemptAt = due < expiresAt ? due : undefined;
    delivery.timer = setTimeout(() => {
      delivery.timer = undefined;
      if (TERMINAL_STATES.has(delivery.report.state)) return;
      if (this.now() >= expiresAt) this.#expire(delivery);
      else {
        // A wait ran out: the timeout was too short for the state the system is in.
        const now = this.now();
        const current = this.firstWaitMs;
        if (now - this.#backedOffAt >= current) {
          this.#backedOff = Math.min(this.policy.maxBackoffMs, 2 * current);
          this.#backedOffAt = now;
        }
        this.#retry(delivery);
      }
    }, Math.max(0, due - this.now()));
  }

  #retry(delivery: Delivery): void {
    if (this.#closed || !delivery.payload) return;
    if (!this.transport.connected) {
      // mqtt.js would queue the copy and send it on reconnect; a retry is sent then instead, and
      // the timer stays armed for the expiry.
      delivery.due = true;
      this.#arm(delivery, Infinity);
      return;
    }
    this.#attempt(delivery);
    this.transport.send(delivery.report.deviceId as string, delivery.payload).catch(() => {
      // Lost with the connection; the next retry or the expiry takes over.
    });
  }

  #expire(delivery: Delivery): void {
    this.#settle(delivery, "expired");
    const id = delivery.report.transactionId;
    for (const waiter of delivery.waiters.splice(0)) waiter.reject(new Error(`${id} expired without an ack`));
  }

  #settle(delivery: Delivery, state: DeliveryState): void {
    if (!TERMINAL_STATES.has(delivery.report.state)) this.#settled++;
    if (delivery.timer) clearTimeout(delivery.timer);
    delivery.timer = undefined;
    delivery.due = false;
    delivery.report.state = state;
    delivery.report.settledAt = this.now();
    delivery.report.nextAttemptAt = undefined;
    if (delivery.sequence >= 0 && delivery.report.deviceId) this.#lanes.get(delivery.report.deviceId)?.release(delivery.sequence);
    this.#changed(delivery);
  }

  #changed(delivery: Delivery): void {
    if (!this.#housekeeping && !this.#closed) {
      this.#housekeeping = setTimeout(() => this.#tidy(), this.policy.persistEveryMs);
      this.#housekeeping.unref();
    }
    if (this.#listeners.size === 0) return;
    const report = { ...delivery.report };
    for (const listener of this.#listeners) listener(report);
  }
}
