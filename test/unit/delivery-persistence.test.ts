/**
 * The payment service's delivery state across restarts (delivery-store.ts) and its pruning:
 * in-flight deliveries resume their retries in the next run, settled ones keep their reports for
 * the retention period and up to a count, the file is replaced whole, a damaged one is refused.
 */
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeliveryStore, DELIVERIES_FILE } from "../../host-sim/service/delivery-store";
import { DeliveryTracker, type DeliveryPolicy, type DeviceAck } from "../../host-sim/service/delivery";

class FakeTransport {
  connected = true;
  readonly sent: { deviceId: string; payload: Uint8Array }[] = [];
  async send(deviceId: string, payload: Uint8Array): Promise<void> {
    this.sent.push({ deviceId, payload });
  }
}

const ack = (txn: string, status: DeviceAck["status"] = "announced"): DeviceAck => ({ deviceId: "d1", status, transactionId: txn, at: Date.now() });
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
};

describe("delivery state across restarts", () => {
  let dir: string;
  const trackers: DeliveryTracker[] = [];

  const start = (transport: FakeTransport, policy: Partial<DeliveryPolicy> = {}, now: () => number = Date.now) => {
    const store = new DeliveryStore(dir);
    const tracker = new DeliveryTracker(transport, { ackTimeoutMs: 60_000, persistEveryMs: 20, ...policy }, now, store, store.load());
    trackers.push(tracker);
    return tracker;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "payterm-deliveries-"));
  });

  afterEach(() => {
    for (const tracker of trackers.splice(0)) tracker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("resumes the retries of in-flight deliveries and keeps the reports of settled ones", async () => {
    const first = new FakeTransport();
    const before = start(first, { ackTimeoutMs: 60_000 });
    await before.deliver("T-flight", "d1", new Uint8Array([1, 2, 3]), Date.now() + 60_000);
    await before.deliver("T-done", "d1", new Uint8Array([4]), Date.now() + 60_000);
    before.acked(ack("T-done"));
    before.close();
    expect(existsSync(join(dir, DELIVERIES_FILE))).toBe(true);

    // The next run: the in-flight one is retried at once (its first wait is long past), same bytes.
    const second = new FakeTransport();
    const after = start(second, { ackTimeoutMs: 20 });
    expect(after.report("T-done")).toMatchObject({ state: "announced", attempts: 1, ack: { status: "announced" } });
    expect(after.report("T-flight")).toMatchObject({ state: "published", attempts: 1 });
    after.reconnected();
    await until(() => second.sent.length > 0);
    expect(second.sent[0]).toEqual({ deviceId: "d1", payload: new Uint8Array([1, 2, 3]) });
    expect(after.report("T-flight")).toMatchObject({ state: "retrying", attempts: 2 });
    after.acked(ack("T-flight"));
    expect(after.report("T-flight")?.state).toBe("announced");
    expect(after.stats()).toMatchObject({ tracked: 2, announced: 2, inFlight: 0 });
  });

  it("waits for the broker before resuming: a restored retry goes out on reconnect", async () => {
    const before = start(new FakeTransport());
    await before.deliver("T1", "d1", new Uint8Array([9]), Date.now() + 60_000);
    before.close();
    const offline = new FakeTransport();
    offline.connected = false;
    const after = start(offline, { ackTimeoutMs: 10 });
    await new Promise((r) => setTimeout(r, 40));
    expect(offline.sent).toHaveLength(0);
    offline.connected = true;
    after.reconnected();
    expect(offline.sent).toHaveLength(1);
  });

  it("expires a restored delivery whose expiry passed while the service was down", async () => {
    const before = start(new FakeTransport());
    await before.deliver("T-old", "d1", new Uint8Array([1]), Date.now() + 50);
    before.close();
    await new Promise((r) => setTimeout(r, 80));
    const after = start(new FakeTransport());
    expect(after.report("T-old")?.state).toBe("expired");
  });

  it("keeps a restored delivery's place in its device's window", async () => {
    const before = start(new FakeTransport(), { windowPerDevice: 2 });
    await before.deliver("A", "d1", new Uint8Array([1]), Date.now() + 60_000);
    await before.deliver("B", "d1", new Uint8Array([2]), Date.now() + 60_000);
    before.close();
    const transport = new FakeTransport();
    const after = start(transport, { windowPerDevice: 2 });
    let sent = false;
    const third = after.deliver("C", "d1", new Uint8Array([3]), Date.now() + 60_000).then(() => (sent = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toBe(false);
    after.acked(ack("A"));
    await third;
    expect(transport.sent.map((s) => s.payload[0])).toContain(3);
  });

  it("writes the file whole through a rename, a while after the change, not on every change", async () => {
    const tracker = start(new FakeTransport(), { persistEveryMs: 50 });
    await tracker.deliver("T1", "d1", new Uint8Array([1]), Date.now() + 60_000);
    expect(existsSync(join(dir, DELIVERIES_FILE))).toBe(false);
    await until(() => existsSync(join(dir, DELIVERIES_FILE)));
    const saved = JSON.parse(readFileSync(join(dir, DELIVERIES_FILE), "utf8"));
    expect(saved).toMatchObject({ format: 1, deliveries: [{ transactionId: "T1", state: "published", payload: "AQ==" }] });
    expect(readdirSync(dir)).toEqual([DELIVERIES_FILE]);
  });

  it("refuses a damaged state file with its name, and leaves it untouched", () => {
    const path = join(dir, DELIVERIES_FILE);
    for (const damaged of ['{"format":1,"deliveries":[', '{"format":9,"deliveries":[]}', '{"format":1,"deliveries":[{"transactionId":"T","state":"lost"}]}']) {
      writeFileSync(path, damaged);
      expect(() => new DeliveryStore(dir).load()).toThrow(path);
      expect(readFileSync(path, "utf8")).toBe(damaged);
    }
  });

  describe("pruning", () => {
    it("forgets settled deliveries older than the retention period, never in-flight ones", async () => {
      let now = 1_000_000;
      const tracker = start(new FakeTransport(), { retentionMs: 1000 }, () => now);
      await tracker.deliver("old", "d1", new Uint8Array([1]), now + 600_000);
      await tracker.deliver("flying", "d1", new Uint8Array([2]), now + 600_000);
      tracker.acked(ack("old"));
      now += 500;
      await tracker.deliver("recent", "d1", new Uint8Array([3]), now + 600_000);
      tracker.acked(ack("recent"));
      now += 600;
      expect(tracker.prune()).toBe(1);
      expect(tracker.report("old")).toBeUndefined();
      expect(tracker.report("recent")?.state).toBe("announced");
      expect(tracker.report("flying")?.state).toBe("published");
    });

    it("keeps at most maxSettled settled deliveries, the newest, in memory and in the file", async () => {
      const tracker = start(new FakeTransport(), { maxSettled: 10 });
      for (let i = 0; i < 50; i++) {
        await tracker.deliver(`T${i}`, "d1", new Uint8Array([i]), Date.now() + 60_000);
        tracker.acked(ack(`T${i}`));
      }
      await tracker.deliver("flying", "d1", new Uint8Array([99]), Date.now() + 60_000);
      tracker.close();
      expect(tracker.stats()).toMatchObject({ tracked: 11, announced: 10, inFlight: 1 });
      expect(tracker.report("T39")).toBeUndefined();
      expect(tracker.report("T40")?.state).toBe("announced");
      const saved = JSON.parse(readFileSync(join(dir, DELIVERIES_FILE), "utf8")) as { deliveries: { transactionId: string }[] };
      expect(saved.deliveries.map((d) => d.transactionId)).toEqual([...Array.from({ length: 10 }, (_, i) => `T${40 + i}`), "flying"]);
    });
  });
});
