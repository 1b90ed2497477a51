import { describe, expect, it } from "@jest/globals";
import { Journal, JOURNAL_DOMAIN } from "../../firmware/payments/journal";
import type { PaymentConfirmation } from "../../firmware/payments/confirmation";
import { MemoryKv } from "../../hal/memory/kv";
import { FileKv } from "../../host-sim/hal/file-kv";

const confirmation = (n: number): PaymentConfirmation => ({
  transactionId: `T${n}`,
  amountMinor: n * 100,
  currency: "INR",
  provider: "UPI",
  confirmedAt: 1_763_700_000_000 + n,
  expiresAt: undefined,
  deviceId: "sb-1",
});

describe("payment journal", () => {
  it("finds what it holds and survives a restart", () => {
    const kv = new FileKv();
    const journal = new Journal(kv, 8);
    const entry = journal.append(confirmation(1), 10);
    journal.markAnnounced(entry);
    journal.append(confirmation(2), 20);
    const reopened = new Journal(kv, 8);
    expect(reopened.find("T1")).toMatchObject({ sequence: 1, state: "announced", confirmation: confirmation(1) });
    expect(reopened.find("T2")?.state).toBe("journaled");
    expect(reopened.unannounced().map((e) => e.confirmation.transactionId)).toEqual(["T2"]);
    expect(reopened.append(confirmation(3), 30).sequence).toBe(3);
  });

  it("is a bounded ring: the oldest entries leave, the newest stay, in order", () => {
    const kv = new FileKv();
    const journal = new Journal(kv, 4);
    for (let n = 1; n <= 10; n++) journal.markAnnounced(journal.append(confirmation(n), n));
    expect(kv.keys(JOURNAL_DOMAIN)).toHaveLength(4);
    expect(journal.find("T6")).toBeUndefined();
    expect(journal.recent(10).map((e) => e.confirmation.transactionId)).toEqual(["T10", "T9", "T8", "T7"]);
    const reopened = new Journal(kv, 4);
    expect(reopened.recent(2).map((e) => e.sequence)).toEqual([10, 9]);
    expect(reopened.find("T7")).toBeDefined();
  });

  it("keeps a floor: the newest confirmation time it has forgotten, rebuilt after a restart", () => {
    const kv = new FileKv();
    const journal = new Journal(kv, 4);
    for (let n = 1; n <= 4; n++) journal.append(confirmation(n), n);
    expect(journal.floor).toBe(0);
    journal.append(confirmation(5), 5);
    expect(journal.floor).toBe(confirmation(1).confirmedAt);
    // Out of order: an older confirmation overwritten later does not lower the floor.
    journal.append({ ...confirmation(6), confirmedAt: confirmation(9).confirmedAt }, 6);
    journal.append({ ...confirmation(7), confirmedAt: confirmation(0).confirmedAt }, 7);
    expect(journal.floor).toBe(confirmation(3).confirmedAt);
    journal.append(confirmation(8), 8);
    journal.append(confirmation(10), 10);
    expect(journal.floor).toBe(confirmation(5).confirmedAt);
    journal.append(confirmation(11), 11); // overwrites the entry stamped like T9
    journal.append(confirmation(12), 12); // overwrites the one stamped like T0: no change
    expect(journal.floor).toBe(confirmation(9).confirmedAt);
    expect(new Journal(kv, 4).floor).toBe(confirmation(9).confirmedAt);
  });

  it("raises the floor to its newest confirmation when a slot cannot be read", () => {
    const kv = new FileKv();
    const journal = new Journal(kv, 8);
    for (let n = 1; n <= 3; n++) journal.append(confirmation(n), n);
    kv.set(JOURNAL_DOMAIN, "e2", new Uint8Array([0xff]).buffer);
    expect(new Journal(kv, 8).floor).toBe(confirmation(3).confirmedAt);
  });

  it("holds at least 256 transactions by default", () => {
    const journal = new Journal(new FileKv());
    expect(journal.capacity).toBeGreaterThanOrEqual(256);
  });

  it("skips a slot whose bytes are damaged and counts it, keeping the rest", () => {
    const kv = new FileKv();
    const journal = new Journal(kv, 8);
    journal.append(confirmation(1), 1);
    journal.append(confirmation(2), 2);
    kv.set(JOURNAL_DOMAIN, "e1", new Uint8Array([0xa1, 0x61]).buffer);
    const reopened = new Journal(kv, 8);
    expect(reopened.unreadableAtStart).toBe(1);
    expect(reopened.find("T1")).toBeUndefined();
    expect(reopened.find("T2")).toBeDefined();
  });

  it("follows an entry from journaled to announced to acked, and lists outstanding acks oldest first", () => {
    const kv = new MemoryKv();
    const journal = new Journal(kv, 8);
    const entries = [1, 2, 3].map((n) => journal.append(confirmation(n), n));
    expect(journal.unacked()).toEqual([]);
    for (const entry of entries.slice().reverse()) journal.markAnnounced(entry);
    expect(journal.unacked().map((e) => e.sequence)).toEqual([1, 2, 3]);
    journal.markAcked(entries[1]);
    // Acked before announced is not a step the journal takes.
    journal.markAcked(journal.append(confirmation(4), 4));
    const reopened = new Journal(kv, 8);
    expect(reopened.unacked().map((e) => e.sequence)).toEqual([1, 3]);
    expect(["T1", "T2", "T3", "T4"].map((id) => reopened.find(id)?.state)).toEqual(["announced", "acked", "announced", "journaled"]);
    // The entry object a caller kept may be stale: the journal's own state decides.
    const writes = kv.writes;
    reopened.markAnnounced(entries[1]);
    reopened.markAcked(entries[1]);
    expect(reopened.find("T2")?.state).toBe("acked");
    expect(kv.writes).toBe(writes);
  });

  it("leaves the journal as it was when the store refuses a write", () => {
    const kv = new FileKv();
    const journal = new Journal(kv, 8);
    const long = { ...confirmation(1), provider: "x".repeat(4000) };
    expect(() => journal.append(long, 1)).toThrow("exceeds 3968");
    expect(journal.find("T1")).toBeUndefined();
    expect(journal.append(confirmation(2), 2).sequence).toBe(1);
  });
});
