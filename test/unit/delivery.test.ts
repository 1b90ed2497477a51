/**
 * The payment service's delivery tracking (host-sim/service/delivery.ts) over a fake transport:
 * retries of the same bytes until an ack, expiry, the per-device window, offline retries.
 */
import { describe, expect, it } from "@jest/globals";
import { DeliveryTracker, type DeliveryPolicy, type DeviceAck, type DeliveryState } from "../../host-sim/service/delivery";

class FakeTransport {
  connected = true;
  readonly sent: { deviceId: string; payload: Uint8Array }[] = [];
  #waiters: (() => void)[] = [];

  async send(deviceId: string, payload: Uint8Array): Promise<void> {
    this.sent.push({ deviceId, payload });
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves once `count` copies have been sent in all. */
  async sentAtLeast(count: number): Promise<void> {
    while (this.sent.length < count) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

const FAST: Partial<DeliveryPolicy> = { ackTimeoutMs: 10, backoffFactor: 2, maxBackoffMs: 40 };
const BYTES = new Uint8Array([1, 2, 3]);
const ack = (txn: string, status: DeviceAck["status"], deviceId = "d1"): DeviceAck => ({ deviceId, status, transactionId: txn, at: Date.now() });

function settled(tracker: DeliveryTracker, txn: string): Promise<DeliveryState> {
  return new Promise((resolve) => {
    const stop = tracker.onChange((report) => {
      if (report.transactionId !== txn || !["announced", "duplicate", "rejected", "expired"].includes(report.state)) return;
      stop();
      resolve(report.state);
    });
  });
}

describe("delivery tracking", () => {
  it("republishes the same bytes until the device acks, then stops", async () => {
    const transport = new FakeTransport();
    const tracker = new DeliveryTracker(transport, FAST);
    await tracker.deliver("T1", "d1", BYTES, Date.now() + 60_000);
    expect(tracker.report("T1")).toMatchObject({ state: "published", attempts: 1 });
    await transport.sentAtLeast(3);
    expect(tracker.report("T1")?.state).toBe("retrying");
    tracker.acked(ack("T1", "announced"));
    const report = tracker.report("T1");
    expect(report).toMatchObject({ state: "announced", ack: { status: "announced" } });
    expect(report?.attempts).toBe(transport.sent.length);
    expect(transport.sent.every((s) => s.payload === BYTES && s.deviceId === "d1")).toBe(true);
    expect(report!.firstPublishedAt! <= report!.lastPublishedAt! && report!.lastPublishedAt! <= report!.settledAt!).toBe(true);
    const copies = transport.sent.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(transport.sent.length).toBe(copies);
    tracker.close();
  });

  it("marks a confirmation expired at its expiry and rejects those waiting for its ack", async () => {
    const transport = new FakeTransport();
    const tracker = new DeliveryTracker(transport, FAST);
    const expiresAt = Date.now() + 80;
    const done = settled(tracker, "T2");
    await tracker.deliver("T2", "d1", BYTES, expiresAt);
    const waiting = tracker.waitForAck("T2", 5000);
    expect(await done).toBe("expired");
    await expect(waiting).rejects.toThrow(/expired/);
    const report = tracker.report("T2")!;
    expect(report.attempts).toBeGreaterThan(1);
    expect(report.settledAt).toBeGreaterThanOrEqual(expiresAt);
    expect(tracker.stats()).toMatchObject({ expired: 1, inFlight: 0 });
    tracker.close();
  });

  it("keeps the first ack: a later duplicate is counted, not applied; another device's ack is ignored", async () => {
    const tracker = new DeliveryTracker(new FakeTransport(), { ackTimeoutMs: 10_000 });
    await tracker.deliver("T3", "d1", BYTES, Date.now() + 60_000);
    tracker.acked(ack("T3", "announced", "d2"));
    expect(tracker.report("T3")?.state).toBe("published");
    tracker.acked(ack("T3", "announced"));
    tracker.acked(ack("T3", "duplicate"));
    expect(tracker.report("T3")).toMatchObject({ state: "announced", duplicateAcks: 1 });
    expect(tracker.stats()).toMatchObject({ announced: 1, acks: 3, duplicateAcks: 1 });
    tracker.close();
  });

  it("holds a retry that falls due while the broker is away and sends it on reconnect", async () => {
    const transport = new FakeTransport();
    const tracker = new DeliveryTracker(transport, FAST);
    await tracker.deliver("T4", "d1", BYTES, Date.now() + 60_000);
    transport.connected = false;
    // Once the retry has fallen due offline, no attempt is scheduled: it waits for the connection.
    while (tracker.report("T4")?.nextAttemptAt !== undefined) await new Promise((r) => setTimeout(r, 5));
    expect(transport.sent.length).toBe(1);
    transport.connected = true;
    tracker.reconnected();
    expect(transport.sent.length).toBe(2);
    expect(tracker.report("T4")).toMatchObject({ state: "retrying", attempts: 2 });
    tracker.close();
  });

  it("lets a device have at most a window of confirmations outstanding", async () => {
    const transport = new FakeTransport();
    const tracker = new DeliveryTracker(transport, { ackTimeoutMs: 10_000, windowPerDevice: 2 });
    const expiresAt = Date.now() + 60_000;
    await tracker.deliver("A", "d1", BYTES, expiresAt);
    await tracker.deliver("B", "d1", BYTES, expiresAt);
    let third = false;
    const pending = tracker.deliver("C", "d1", BYTES, expiresAt).then(() => (third = true));
    await tracker.deliver("X", "d2", BYTES, expiresAt); // another device has its own window
    expect(third).toBe(false);
    // Acking B does not open the window: A, the oldest, still holds it.
    tracker.acked(ack("B", "announced"));
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false);
    tracker.acked(ack("A", "duplicate"));
    await pending;
    expect(transport.sent.map((s) => s.deviceId)).toEqual(["d1", "d1", "d2", "d1"]);
    tracker.close();
  });

  it("adapts the first wait to how long acks take (RFC 6298), from first attempts only", async () => {
    let now = 1_000_000;
    const tracker = new DeliveryTracker(new FakeTransport(), { ackTimeoutMs: 20, maxBackoffMs: 60_000 }, () => now);
    expect(tracker.firstWaitMs).toBe(20);
    for (let i = 0; i < 10; i++) {
      await tracker.deliver(`S${i}`, "d1", BYTES, now + 600_000);
      now += 400;
      tracker.acked(ack(`S${i}`, "announced"));
    }
    const wait = tracker.firstWaitMs;
    expect(wait).toBeGreaterThan(400);
    expect(wait).toBeLessThan(500);
    // A delivery sent twice before its ack says nothing about ack time (Karn): the wait stays.
    await tracker.deliver("R1", "d1", BYTES, now + 600_000);
    await tracker.deliver("R1", "d1", BYTES, now + 600_000);
    now += 30_000;
    tracker.acked(ack("R1", "announced"));
    expect(tracker.firstWaitMs).toBe(wait);
    // Never below the configured timeout, never above the ceiling.
    const fast = new DeliveryTracker(new FakeTransport(), { ackTimeoutMs: 5_000 }, () => now);
    await fast.deliver("F1", "d1", BYTES, now + 600_000);
    now += 2;
    fast.acked(ack("F1", "announced"));
    expect(fast.firstWaitMs).toBe(5_000);
    tracker.close();
    fast.close();
  });

  it("doubles the first wait each time a wait runs out, until an ack measures it again", async () => {
    const transport = new FakeTransport();
    const tracker = new DeliveryTracker(transport, { ackTimeoutMs: 10, maxBackoffMs: 1_000 });
    await tracker.deliver("B1", "d1", BYTES, Date.now() + 60_000);
    await transport.sentAtLeast(3);
    expect(tracker.firstWaitMs).toBeGreaterThanOrEqual(20);
    tracker.acked(ack("B1", "announced"));
    await tracker.deliver("B2", "d1", BYTES, Date.now() + 60_000);
    tracker.acked(ack("B2", "announced"));
    // B2 was acked at its first attempt: measured again, the backoff is gone.
    expect(tracker.firstWaitMs).toBe(10);
    tracker.close();
  });
});
