/**
 * The NVS ring both the payment journal and the command ledger keep (firmware/nvs-ring.ts): its
 * own rules on a record format made up here, then the two real formats against the bytes the
 * journal and the ledger wrote before they shared it (test/fixtures/nvs-rings.json), so devices
 * and provisioned images keep their NVS as it is.
 */
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KvError } from "../../hal/kv";
import { MemoryKv } from "../../hal/memory/kv";
import { CommandLedger, LEDGER_DOMAIN } from "../../firmware/commands/ledger";
import { Journal, JOURNAL_DOMAIN } from "../../firmware/payments/journal";
import { NvsRing, type RingFormat, type RingRecord } from "../../firmware/nvs-ring";

interface Note extends RingRecord {
  name: string;
  at: number;
  text: string;
}

const NOTES: RingFormat<Note> = {
  domain: "notes",
  keyPrefix: "n",
  encode: (note) => new TextEncoder().encode(JSON.stringify(note)).buffer as ArrayBuffer,
  decode: (stored) => {
    try {
      const note = JSON.parse(new TextDecoder().decode(stored)) as Note;
      return typeof note.sequence === "number" && typeof note.name === "string" ? note : undefined;
    } catch {
      return undefined;
    }
  },
  id: (note) => note.name,
  stamp: (note) => note.at,
};

const add = (ring: NvsRing<Note>, name: string, at: number) => ring.append((sequence, floor) => ({ sequence, floor, name, at, text: "" }));
const names = (notes: Note[]) => notes.map((n) => n.name);

describe("NVS ring", () => {
  it("numbers records from 1, one key per slot, and finds them by id", () => {
    const kv = new MemoryKv();
    const ring = new NvsRing(kv, NOTES, 3);
    expect([add(ring, "a", 10).sequence, add(ring, "b", 20).sequence]).toEqual([1, 2]);
    expect(kv.keys("notes").sort()).toEqual(["n1", "n2"]);
    expect(ring.find("b")).toMatchObject({ sequence: 2, at: 20 });
    expect(ring.find("z")).toBeUndefined();
  });

  it("overwrites the oldest when full; the head and the floor come back after a restart", () => {
    const kv = new MemoryKv();
    const ring = new NvsRing(kv, NOTES, 3);
    for (const [name, at] of [["a", 10], ["b", 30], ["c", 20], ["d", 40], ["e", 50]] as const) add(ring, name, at);
    expect(ring.find("a")).toBeUndefined();
    expect(ring.find("b")).toBeUndefined();
    // The newest stamp forgotten, not the last one: b (30) was overwritten after a (10).
    expect(ring.floor).toBe(30);
    const reopened = new NvsRing(kv, NOTES, 3);
    expect(reopened.floor).toBe(30);
    expect(names(reopened.newest(10))).toEqual(["e", "d", "c"]);
    expect(add(reopened, "f", 60)).toMatchObject({ sequence: 6, floor: 30 });
    expect(kv.keys("notes").length).toBe(3);
  });

  it("carries the floor in each record: a record is written with the floor it makes", () => {
    const ring = new NvsRing(new MemoryKv(), NOTES, 2);
    add(ring, "a", 100);
    add(ring, "b", 50);
    expect(add(ring, "c", 70).floor).toBe(100);
    expect(add(ring, "d", 80).floor).toBe(100);
  });

  it("replaces a record in its slot, and not once it has been overwritten", () => {
    const kv = new MemoryKv();
    const ring = new NvsRing(kv, NOTES, 2);
    const a = add(ring, "a", 1);
    expect(ring.replace({ ...a, text: "changed" })).toBe(true);
    expect(new NvsRing(kv, NOTES, 2).find("a")?.text).toBe("changed");
    add(ring, "b", 2);
    add(ring, "c", 3);
    const writes = kv.writes;
    expect(ring.replace({ ...a, text: "late" })).toBe(false);
    expect(kv.writes).toBe(writes);
    expect(ring.at(a.sequence)).toBeUndefined();
    expect(ring.at(3)?.name).toBe("c");
  });

  it("changes nothing when the store refuses a write", () => {
    const kv = new MemoryKv();
    const ring = new NvsRing(kv, NOTES, 2);
    const a = add(ring, "a", 5);
    add(ring, "b", 6);
    kv.writable = false;
    expect(() => add(ring, "c", 7)).toThrow(KvError);
    expect(() => ring.replace({ ...a, text: "x" })).toThrow(KvError);
    expect([ring.find("a")?.text, ring.find("c"), ring.floor]).toEqual(["", undefined, 0]);
    kv.writable = true;
    expect(add(ring, "c", 7)).toMatchObject({ sequence: 3, floor: 5 });
  });

  it("selects oldest first, and lists the newest without crossing a gap", () => {
    const ring = new NvsRing(new MemoryKv(), NOTES, 4);
    for (let n = 1; n <= 6; n++) add(ring, `r${n}`, n);
    expect(names(ring.select((note) => note.at % 2 === 1))).toEqual(["r3", "r5"]);
    expect(names(ring.newest(2))).toEqual(["r6", "r5"]);
    expect(names(ring.newest(99))).toEqual(["r6", "r5", "r4", "r3"]);
  });

  it("counts unreadable slots, and then treats everything up to the newest stamp as possibly forgotten", () => {
    const kv = new MemoryKv();
    const ring = new NvsRing(kv, NOTES, 4);
    add(ring, "a", 10);
    add(ring, "b", 40);
    add(ring, "c", 20);
    kv.set("notes", "n1", new Uint8Array([0xff, 0x00]).buffer);
    // A readable record in the wrong slot is as bad as garbage.
    kv.set("notes", "n0", NOTES.encode({ sequence: 3, floor: 0, name: "x", at: 1, text: "" }));
    const reopened = new NvsRing(kv, NOTES, 4);
    expect(reopened.unreadableAtStart).toBe(2);
    expect(reopened.find("a")).toBeUndefined();
    expect(reopened.floor).toBe(40);
  });
});

describe("the journal and the ledger keep the NVS layout they had", () => {
  const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "..", "fixtures", "nvs-rings.json"), "utf8")) as { kv: Record<string, Record<string, string>> };
  const BASE = 1_763_700_000_000;

  function stored(kv: MemoryKv, domain: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of kv.keys(domain)) out[key] = Buffer.from(kv.get(domain, key) as ArrayBuffer).toString("hex");
    return out;
  }

  function oldStore(): MemoryKv {
    const kv = new MemoryKv();
    for (const [domain, entries] of Object.entries(fixture.kv))
      for (const [key, hex] of Object.entries(entries)) kv.set(domain, key, new Uint8Array(Buffer.from(hex, "hex")).buffer);
    return kv;
  }

  it("writes byte for byte what the journal and the ledger wrote before (announced then acked)", () => {
    const kv = new MemoryKv();
    const journal = new Journal(kv, 4);
    for (let n = 1; n <= 6; n++) {
      const entry = journal.append(
        {
          transactionId: `T${n}`, amountMinor: n * 1250, currency: n % 2 ? "INR" : "THB", provider: n % 3 ? "UPI" : "PromptPay",
          confirmedAt: BASE + n * 1000, deviceId: "sb-1", expiresAt: n % 2 ? BASE + n * 1000 + 60_000 : undefined,
          ...(n === 4 ? { reference: "R-0004" } : {}),
        },
        BASE + n * 1000 + 250,
      );
      if (n === 6) continue;
      journal.markAnnounced(entry);
      journal.markAcked(entry);
    }
    const ledger = new CommandLedger(kv, 4);
    for (let n = 1; n <= 6; n++) {
      const entry = ledger.begin({ id: `C${n}`, name: "config", args: {}, deviceId: "sb-1", issuedAt: BASE + n * 500, expiresAt: BASE + n * 500 + 60_000 });
      if (n % 3 === 1) ledger.finish(entry, "ok");
      else if (n % 3 === 2) ledger.finish(entry, "rejected");
    }
    expect(stored(kv, JOURNAL_DOMAIN)).toEqual(fixture.kv.journal);
    expect(stored(kv, LEDGER_DOMAIN)).toEqual(fixture.kv.cmdlog);
  });

  it("reads what they wrote before: entries, states, floors, and where the sequence goes on", () => {
    const kv = oldStore();
    const journal = new Journal(kv, 4);
    expect(journal.unreadableAtStart).toBe(0);
    expect(journal.floor).toBe(BASE + 2000);
    expect(journal.recent(4).map((e) => [e.confirmation.transactionId, e.state])).toEqual([["T6", "journaled"], ["T5", "acked"], ["T4", "acked"], ["T3", "acked"]]);
    expect(journal.find("T4")?.confirmation).toEqual({ transactionId: "T4", amountMinor: 5000, currency: "THB", provider: "UPI", confirmedAt: BASE + 4000, deviceId: "sb-1", expiresAt: undefined, reference: "R-0004" });
    // Acks of entries from before acks were tracked went out then: none is outstanding.
    expect(journal.unacked()).toEqual([]);
    expect(journal.unannounced().map((e) => e.sequence)).toEqual([6]);
    expect(journal.append({ transactionId: "T7", amountMinor: 1, currency: "INR", provider: "UPI", confirmedAt: BASE + 7000, deviceId: "sb-1", expiresAt: undefined }, BASE + 7001).sequence).toBe(7);

    const ledger = new CommandLedger(kv, 4);
    expect(ledger.floor).toBe(BASE + 1000);
    expect(["C1", "C3", "C4", "C5", "C6"].map((id) => ledger.find(id)?.state)).toEqual([undefined, "running", "ok", "rejected", "running"]);
    expect(ledger.begin({ id: "C7", name: "config", args: {}, deviceId: "sb-1", issuedAt: BASE + 3500, expiresAt: BASE + 63_500 }).sequence).toBe(7);
  });
});
