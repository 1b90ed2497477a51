/**
 * The parts of `npm run bench:wear` that do arithmetic on NVS (host-sim/bench/wear/): the entries
 * a key-value write takes, checked against images the provisioning encoder writes; the page
 * model's placement, reclaiming and its "full" against cases worked out by hand from ESP-IDF's
 * rules; the ring slots a replay moves through; the page-fill model; the ESP32 store's intent
 * writes, against the store itself.
 */
import { describe, expect, it } from "@jest/globals";
import type { KeyValueStore, KvValue } from "../../hal/kv";
import { MemoryKv } from "../../hal/memory/kv";
import { PreferenceKv } from "../../hal/moddable/preference-kv";
import { Journal } from "../../firmware/payments/journal";
import type { PaymentConfirmation } from "../../firmware/payments/confirmation";
import { CountingKv, type KvWrite } from "../../host-sim/bench/wear/counting-kv";
import { throughIntents } from "../../host-sim/bench/wear/intents";
import { fillModel, RATED_ERASE_CYCLES } from "../../host-sim/bench/wear/lifetime";
import { NvsFullError, NvsPages } from "../../host-sim/bench/wear/nvs-pages";
import { RingSlots } from "../../host-sim/bench/wear/ring-slots";
import { encodeKvImage, nvsItemEntries, nvsItemOf } from "../../host-sim/provision/nvs/kv-image";
import { readNvs } from "../../host-sim/provision/nvs/reader";

const PAGE = 4096;

function set(domain: string, key: string, value: KvValue): KvWrite {
  const item = nvsItemOf(value);
  return { op: "set", domain, key, item, entries: nvsItemEntries(item), value };
}

function bytes(n: number): ArrayBuffer {
  return new Uint8Array(n).fill(0x5a).buffer;
}

describe("the entries of a key-value write", () => {
  const values: [string, KvValue][] = [
    ["bool", true],
    ["int", -123456],
    ["empty string", ""],
    ["string of 31 bytes", "x".repeat(31)],
    ["string of 32 bytes", "x".repeat(32)],
    ["multibyte string", "नमस्ते दुनिया"],
    ["blob of 1 byte", bytes(1)],
    ["blob of 32 bytes", bytes(32)],
    ["blob of 33 bytes", bytes(33)],
    ["journal-sized blob", bytes(121)],
    ["blob of 3,900 bytes", bytes(3900)],
  ];

  it.each(values)("%s: as many as the image writer lays out", (_name, value) => {
    const image = encodeKvImage([["d", [["k", value]]]], 3 * PAGE);
    const written = readNvs(image).pages.reduce((sum, page) => sum + page.written, 0);
    // The namespace's own entry comes first.
    expect(nvsItemEntries(nvsItemOf(value))).toBe(written - 1);
  });

  it("a blob that does not fit the rest of its page takes one header more per extra chunk", () => {
    // After the namespace entry and a one-entry item the first page has room for 3,936 payload
    // bytes in one chunk.
    const image = encodeKvImage([["d", [["a", 1], ["k", bytes(3968)]]]], 3 * PAGE);
    const written = readNvs(image).pages.reduce((sum, page) => sum + page.written, 0);
    expect(written - 2).toBe(nvsItemEntries(nvsItemOf(bytes(3968))) + 1);
  });

  it("counts what the wrapped store accepted, copies of the values, and only deletes of stored keys", () => {
    const log: KvWrite[] = [];
    const kv = new CountingKv(new MemoryKv(), log);
    const blob = new Uint8Array([1, 2, 3]);
    kv.set("d", "b", blob.buffer);
    blob[0] = 9;
    kv.set("d", "b", new Uint8Array([1, 2, 3]).buffer);
    kv.delete("d", "missing");
    kv.delete("d", "b");
    expect(() => kv.set("d", "way-too-long-a-key", 1)).toThrow();
    expect(log.map((w) => `${w.op} ${w.key}`)).toEqual(["set b", "set b", "delete b"]);
    const [first, again] = log;
    expect(first.op === "set" && new Uint8Array(first.value as ArrayBuffer)[0]).toBe(1);
    expect(first.op === "set" && first.entries).toBe(3);
    expect(first.op === "set" && first.unchanged).toBeUndefined();
    expect(again.op === "set" && again.unchanged).toBe(true);
  });
});

describe("the NVS page model", () => {
  it("appends items, each with its entries and the namespace once, erasing nothing while there is room", () => {
    const nvs = new NvsPages(4 * PAGE);
    for (const write of [set("d", "n", 7), set("d", "b", false), set("d", "s", "hello"), set("d", "blob", bytes(100))]) nvs.apply(write);
    // namespace 1, i32 1, u8 1, "hello\0" 1 + 1, 100-byte blob 1 + 4 + its index 1.
    expect(nvs.stats()).toMatchObject({ writtenEntries: 11, liveEntries: 11, copiedEntries: 0, erases: 0, activations: 1 });
    nvs.apply(set("d", "s", "hello"));
    nvs.apply({ op: "delete", domain: "d", key: "blob" });
    expect(nvs.stats()).toMatchObject({ writtenEntries: 13, liveEntries: 5 });
  });

  it("cuts a blob at the end of a page with room for a tenth of a page or more", () => {
    const nvs = new NvsPages(4 * PAGE);
    // The namespace and a string of 59 entries: 60 used, 2,080 payload bytes left for a chunk.
    nvs.apply(set("d", "s", "x".repeat(58 * 32 - 1)));
    nvs.apply(set("d", "blob", bytes(3000)));
    // 2,080 bytes in 1 + 65 entries; 920 on the next page in 1 + 29; the index.
    expect(nvs.stats()).toMatchObject({ writtenEntries: 60 + 97, activations: 2 });
  });

  it("moves a blob whole to a new page when less than a tenth of a page is left", () => {
    const nvs = new NvsPages(4 * PAGE);
    // 120 used: 160 payload bytes left, under 400 and under the blob.
    nvs.apply(set("d", "s", "x".repeat(118 * 32 - 1)));
    nvs.apply(set("d", "blob", bytes(300)));
    expect(nvs.stats()).toMatchObject({ writtenEntries: 120 + 12, activations: 2 });
  });

  it("refuses a write when every entry of every page but the free one holds live data", () => {
    const nvs = new NvsPages(3 * PAGE);
    // The namespace and 125 keys fill the first page, 126 the second; the third stays free.
    for (let i = 0; i < 251; i++) nvs.apply(set("d", `k${i}`, i));
    expect(() => nvs.apply(set("d", "k251", 251))).toThrow(NvsFullError);
  });

  it("reclaims a page holding nothing live before one that holds something", () => {
    const nvs = new NvsPages(3 * PAGE);
    for (let i = 0; i < 10_000; i++) nvs.apply(set("d", "counter", i));
    const stats = nvs.stats();
    expect(stats).toMatchObject({ writtenEntries: 10_001, liveEntries: 2, copiedEntries: 0 });
    // The namespace entry keeps the first page out: the set erases the counter's old entry first,
    // so the page that held it has 126 entries to give against the first page's 125. Pages two and
    // three take turns from the 252nd write on, one erase per 126 writes.
    expect(stats.erasesPerPage).toEqual([0, 39, 39]);
    expect(stats.activations).toBe(stats.pages + stats.erases - stats.freePages);
  });

  it("copies the live items of a page it reclaims, and loses none", () => {
    const nvs = new NvsPages(3 * PAGE);
    let kept = 0;
    for (let i = 0; i < 2_000; i++) {
      nvs.apply(set("d", "counter", i));
      if (i % 20 === 0) nvs.apply(set("d", `kept${kept++}`, i));
    }
    const stats = nvs.stats();
    // The namespace, the counter and every kept key: 1 + 1 + 100.
    expect(stats.liveEntries).toBe(2 + kept);
    expect(stats.copiedEntries).toBeGreaterThan(0);
    expect(stats.writtenEntries).toBe(1 + 2_000 + kept);
    expect(stats.writtenEntries + stats.copiedEntries).toBeLessThanOrEqual(126 * stats.activations);
    expect(stats.activations).toBe(stats.pages + stats.erases - stats.freePages);
  });
});

describe("ring slots in a replay", () => {
  function payment(n: number): PaymentConfirmation {
    return { transactionId: `T${n}`, amountMinor: 100 * n, currency: "INR", provider: "UPI", confirmedAt: 1_700_000_000_000 + n, deviceId: "sb-1", expiresAt: undefined };
  }

  it("gives each replayed append the ring's next slot and its later writes the same one", () => {
    const log: KvWrite[] = [];
    const journal = new Journal(new CountingKv(new MemoryKv(), log));
    for (const n of [1, 2]) {
      const entry = journal.append(payment(n), 1_700_000_000_100 + n);
      journal.markAnnounced(entry);
      journal.markAcked(entry);
    }
    // Recorded: sequences 1 and 2, in slots e1 and e2.
    expect(log.map((w) => w.key)).toEqual(["e1", "e1", "e1", "e2", "e2", "e2"]);
    const rings = new RingSlots();
    const keys = (copies: number) => Array.from({ length: copies }, () => log.map((w) => rings.place(w).key)).flat();
    expect(keys(2)).toEqual(["e0", "e0", "e0", "e1", "e1", "e1", "e2", "e2", "e2", "e3", "e3", "e3"]);
    // 256 slots: after 252 more appends the ring starts over.
    const later = keys(126);
    expect(later.slice(-6)).toEqual(["e254", "e254", "e254", "e255", "e255", "e255"]);
    expect(keys(1).slice(0, 3)).toEqual(["e0", "e0", "e0"]);
    const other = set("soundbox", "today", bytes(48));
    expect(rings.place(other)).toBe(other);
  });
});

describe("the page-fill model", () => {
  it("spreads the page fills over the pages neither live nor kept free", () => {
    // 32 pages: one kept free, so a day of 31 pages' entries erases each page once.
    const empty = fillModel(126 * 31, 0, 32 * PAGE);
    expect(empty).toMatchObject({ pageFillsPerDay: 31, pagesInRotation: 31, erasesPerPagePerDay: 1 });
    expect(empty.years).toBeCloseTo(RATED_ERASE_CYCLES / 365, 6);
    // 127 live entries hold two pages.
    expect(fillModel(126 * 29, 127, 32 * PAGE)).toMatchObject({ pagesInRotation: 29, erasesPerPagePerDay: 1 });
  });
});

/** A preference module with nothing but a map: what the ESP32 store writes below its intents. */
function bareMap(): KeyValueStore {
  const map = new Map<string, KvValue>();
  return {
    get: (domain, key) => map.get(`${domain}/${key}`),
    set: (domain, key, value) => void map.set(`${domain}/${key}`, value),
    delete: (domain, key) => void map.delete(`${domain}/${key}`),
    keys: (domain) => [...map.keys()].filter((k) => k.startsWith(`${domain}/`)).map((k) => k.slice(domain.length + 1)),
  };
}

describe("the ESP32's writes (the store's intent records)", () => {
  it("are what the store itself writes to the preference module for the firmware's writes", () => {
    const firmware: KvWrite[] = [];
    const device: KvWrite[] = [];
    const run = (kv: KeyValueStore) => {
      kv.set("journal", "e17", bytes(120));
      kv.set("journal", "e17", bytes(121));
      kv.set("soundbox", "vol", 5);
      kv.set("config", "host", "broker.example");
      kv.set("config", "tls", true);
      kv.delete("config", "missing");
      kv.delete("config", "host");
    };
    run(new CountingKv(new MemoryKv(), firmware));
    run(new PreferenceKv(new CountingKv(bareMap(), device)));
    const shape = (w: KvWrite) => `${w.op} ${w.domain}/${w.key}${w.op === "set" ? ` ${w.entries}` : ""}`;
    expect(device.map(shape)).toEqual(throughIntents(firmware).map(shape));
    // A 120-byte journal entry takes 6 entries, and its intent (125 bytes) 6 more.
    expect(device.slice(0, 3).map(shape)).toEqual(["set journal/~intent 6", "set journal/e17 6", "delete journal/~intent"]);
  });
});
