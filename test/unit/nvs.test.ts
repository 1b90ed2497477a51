/**
 * The NVS partition image writer and reader (host-sim/provision/nvs), against images made by
 * ESP-IDF's own generator: test/vectors/nvs/*.bin were written by nvs_partition_gen.py from
 * esp-idf-nvs-partition-gen 0.2.0 (`generate NAME.csv NAME.bin SIZE`, format version 2) from the
 * CSV beside each, and the writer must reproduce them byte for byte.
 */
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KvError } from "../../hal/kv";
import { MemoryKv } from "../../hal/memory/kv";
import { parseCsv } from "../../host-sim/provision/csv";
import { crc32, entryCrc } from "../../host-sim/provision/nvs/crc32";
import { encodeKvCsv, encodeKvImage, loadNvsIntoKv, type KvDomains } from "../../host-sim/provision/nvs/kv-image";
import { ENTRIES_PER_PAGE, ENTRY_SIZE, FIRST_ENTRY_OFFSET, ItemType, PAGE_SIZE, PageState } from "../../host-sim/provision/nvs/layout";
import { NvsFormatError, readNvs, type NvsValue } from "../../host-sim/provision/nvs/reader";
import { NvsError, NvsWriter } from "../../host-sim/provision/nvs/writer";

const VECTORS = join(import.meta.dirname, "..", "vectors", "nvs");

type Row = { key: string; type: string; encoding: string; value: string };

function vectorRows(name: string): Row[] {
  const [header, ...records] = parseCsv(readFileSync(join(VECTORS, `${name}.csv`), "utf8"));
  expect(header.fields).toEqual(["key", "type", "encoding", "value"]);
  return records.map(({ fields: [key, type, encoding, value] }) => ({ key, type, encoding, value }));
}

/** What the generator does with the four encodings the vectors use. */
function writeRows(rows: Row[], size: number): Uint8Array {
  const writer = new NvsWriter(size);
  for (const row of rows) {
    if (row.type === "namespace") writer.namespace(row.key);
    else if (row.encoding === "u8") writer.u8(row.key, Number(row.value));
    else if (row.encoding === "i32") writer.i32(row.key, Number(row.value));
    else if (row.encoding === "string") writer.string(row.key, row.value);
    else if (row.encoding === "hex2bin") writer.blob(row.key, new Uint8Array(Buffer.from(row.value, "hex")));
    else throw new Error(`vector uses encoding ${row.encoding}`);
  }
  return writer.finish();
}

/** The values the rows leave in each namespace (a key written twice keeps its last value). */
function expectedValues(rows: Row[]): Map<string, Map<string, NvsValue>> {
  const out = new Map<string, Map<string, NvsValue>>();
  let current: Map<string, NvsValue> | undefined;
  for (const row of rows) {
    if (row.type === "namespace") {
      current = out.get(row.key) ?? new Map();
      out.set(row.key, current);
    } else if (row.encoding === "u8" || row.encoding === "i32") current?.set(row.key, { type: row.encoding, value: Number(row.value) });
    else if (row.encoding === "string") current?.set(row.key, { type: "string", value: row.value });
    else current?.set(row.key, { type: "blob", value: new Uint8Array(Buffer.from(row.value, "hex")) });
  }
  return out;
}

const VECTOR_SIZES: [string, number][] = [
  ["device", 0x6000],
  ["multipage", 0x8000],
  ["page-edge", 0x4000],
  // Provisioned images that name a Wi-Fi network (wifi-devices.json; test/unit/provision.test.ts makes them from the ledger records).
  ["wifi", 0x3000],
  ["wifi-hex", 0x3000],
  ["wifi-open", 0x3000],
];

function entryAt(image: Uint8Array, page: number, entry: number): Uint8Array {
  const offset = page * PAGE_SIZE + FIRST_ENTRY_OFFSET + entry * ENTRY_SIZE;
  return image.subarray(offset, offset + ENTRY_SIZE);
}

function pageState(image: Uint8Array, page: number): number {
  return new DataView(image.buffer, image.byteOffset + page * PAGE_SIZE).getUint32(0, true);
}

describe("CRC-32 as NVS computes it (zlib.crc32(data, 0xffffffff))", () => {
  it("gives the check values for the standard input and for no input", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xd202d277);
    expect(crc32(new Uint8Array(0))).toBe(0xffffffff);
    // With a running value of 0 it is the familiar CRC-32.
    expect(crc32(new TextEncoder().encode("123456789"), 0)).toBe(0xcbf43926);
  });

  it("matches the page header and entry CRCs the real generator wrote", () => {
    const image = new Uint8Array(readFileSync(join(VECTORS, "device.bin")));
    const view = new DataView(image.buffer);
    expect(crc32(image.subarray(4, 28))).toBe(view.getUint32(28, true));
    const first = entryAt(image, 0, 0);
    expect(entryCrc(first)).toBe(view.getUint32(FIRST_ENTRY_OFFSET + 4, true));
  });
});

describe("NVS writer: byte-exact with ESP-IDF's nvs_partition_gen.py", () => {
  it.each(VECTOR_SIZES)("reproduces %s.bin from its CSV", (name, size) => {
    const expected = new Uint8Array(readFileSync(join(VECTORS, `${name}.bin`)));
    const actual = writeRows(vectorRows(name), size);
    expect(actual.length).toBe(expected.length);
    const firstDifference = actual.findIndex((byte, i) => byte !== expected[i]);
    expect(firstDifference).toBe(-1);
  });

  it("spreads entries over pages: full pages, one active page, the rest erased, the last one always free", () => {
    const image = new Uint8Array(readFileSync(join(VECTORS, "multipage.bin")));
    const { pages } = readNvs(image);
    expect(pages.map((p) => p.state)).toEqual(["full", "full", "full", "full", "active", "empty", "empty", "empty"]);
    expect(pages.slice(0, 5).map((p) => p.sequence)).toEqual([0, 1, 2, 3, 4]);
    // Page 1 was left with 10 free entries: the next string did not fit them.
    expect(pages[1].written).toBe(116);
    expect(image.subarray(5 * PAGE_SIZE).every((b) => b === 0xff)).toBe(true);
  });

  it("cuts a 4000-byte blob into chunks across a page boundary, indexed by a blob_idx entry", () => {
    const writer = new NvsWriter(0x4000);
    writer.namespace("ns");
    for (let i = 0; i < 100; i++) writer.u8(`u${i}`, i);
    const blob = new Uint8Array(4000).map((_, i) => (i * 7) & 0xff);
    writer.blob("big", blob);
    const image = writer.finish();
    // Page 0: namespace + 100 u8 = 101 entries, then chunk 0 header + 24 data entries = 768 bytes.
    const chunk0 = entryAt(image, 0, 101);
    expect([chunk0[1], chunk0[2], chunk0[3]]).toEqual([ItemType.BLOB_DATA, 25, 0]);
    expect(new DataView(chunk0.buffer, chunk0.byteOffset).getUint16(24, true)).toBe(24 * 32);
    expect(pageState(image, 0)).toBe(PageState.FULL);
    // Page 1: chunk 1 with the remaining 3232 bytes (101 entries), then the index.
    const chunk1 = entryAt(image, 1, 0);
    expect([chunk1[1], chunk1[2], chunk1[3]]).toEqual([ItemType.BLOB_DATA, 102, 1]);
    const index = entryAt(image, 1, 102);
    expect(index[1]).toBe(ItemType.BLOB_IDX);
    expect(new DataView(index.buffer, index.byteOffset).getUint32(24, true)).toBe(4000);
    expect([index[28], index[29]]).toEqual([2, 0]);
    expect(pageState(image, 1)).toBe(PageState.ACTIVE);
    const value = readNvs(image).namespaces.get("ns")?.get("big");
    expect(value).toEqual({ type: "blob", value: blob });
  });

  it("writes a blob that starts on a page's last entry as an empty first chunk, as the generator does", () => {
    const image = new Uint8Array(readFileSync(join(VECTORS, "page-edge.bin")));
    const last = entryAt(image, 0, ENTRIES_PER_PAGE - 1);
    expect([last[1], last[2], last[3]]).toEqual([ItemType.BLOB_DATA, 1, 0]);
    expect(new DataView(last.buffer, last.byteOffset).getUint16(24, true)).toBe(0);
    expect(readNvs(image).namespaces.get("edge")?.get("tail")).toMatchObject({ type: "blob" });
  });

  it("stores strings with their NUL: 31 characters fill one data entry, 32 need two", () => {
    const writer = new NvsWriter(0x3000);
    writer.namespace("s");
    writer.string("a", "x".repeat(31));
    writer.string("b", "y".repeat(32));
    const image = writer.finish();
    const a = entryAt(image, 0, 1);
    const b = entryAt(image, 0, 3);
    expect([a[1], a[2]]).toEqual([ItemType.SZ, 2]);
    expect(new DataView(a.buffer, a.byteOffset).getUint16(24, true)).toBe(32);
    expect([b[1], b[2]]).toEqual([ItemType.SZ, 3]);
    expect(new DataView(b.buffer, b.byteOffset).getUint16(24, true)).toBe(33);
    // The unused tail of b's last data entry stays erased.
    expect(entryAt(image, 0, 5).subarray(1).every((byte) => byte === 0xff)).toBe(true);
    expect(readNvs(image).namespaces.get("s")).toEqual(
      new Map([
        ["a", { type: "string", value: "x".repeat(31) }],
        ["b", { type: "string", value: "y".repeat(32) }],
      ]),
    );
  });

  it.each([
    [120, "stays on the page, leaving its last entry free", 0, 121],
    [121, "moves to the next page rather than fill the last entry", 1, 0],
  ])("after %i u8 entries, a 4-entry string %s", (fill, _what, page, entry) => {
    const writer = new NvsWriter(0x3000);
    writer.namespace("s");
    for (let i = 0; i < fill; i++) writer.u8(`u${i}`, 1);
    writer.string("late", "z".repeat(64));
    const image = writer.finish();
    expect(entryAt(image, page, entry)[1]).toBe(ItemType.SZ);
    expect(pageState(image, 0)).toBe(page === 0 ? PageState.ACTIVE : PageState.FULL);
  });

  it("opens each namespace once (the generator would not return to an earlier one)", () => {
    const writer = new NvsWriter(0x3000);
    writer.namespace("a");
    writer.namespace("b");
    expect(() => writer.namespace("a")).toThrow(/namespace a was already written/);
  });

  it("takes strings up to 3968 bytes with the NUL and refuses longer ones with a reason", () => {
    const writer = new NvsWriter(0x3000);
    writer.namespace("s");
    writer.string("max", "m".repeat(3967));
    expect(() => writer.string("over", "m".repeat(3968))).toThrow(/3969 bytes with its NUL exceeds the 3968 bytes/);
    expect(readNvs(writer.finish()).namespaces.get("s")?.get("max")).toEqual({ type: "string", value: "m".repeat(3967) });
  });

  it.each([
    ["16 characters", "sixteen_chars_xx"],
    ["an empty key", ""],
    ["a non-ASCII key", "clé"],
    ["a space", "a b"],
  ])("refuses a key of %s", (_what, key) => {
    const writer = new NvsWriter(0x3000);
    writer.namespace("s");
    expect(() => writer.u8(key, 1)).toThrow(NvsError);
    expect(() => writer.namespace(key)).toThrow(NvsError);
  });

  it("takes a 15-character key and writes it NUL-padded", () => {
    const writer = new NvsWriter(0x3000);
    writer.namespace("fifteen_chars_x");
    writer.i32("fifteen_chars_y", -5);
    const entry = entryAt(writer.finish(), 0, 1);
    expect(Buffer.from(entry.subarray(8, 24)).toString("latin1")).toBe("fifteen_chars_y\0");
  });

  it("refuses entries before any namespace, values out of range, and partitions it does not fit", () => {
    expect(() => new NvsWriter(0x3000).i32("k", 1)).toThrow(/no namespace/);
    const writer = new NvsWriter(0x3000);
    writer.namespace("s");
    expect(() => writer.i32("k", 2 ** 31)).toThrow(/i32 out of range/);
    expect(() => writer.u8("k", 256)).toThrow(/u8 out of range/);
    expect(() => new NvsWriter(0x2000)).toThrow(/at least 0x3000/);
    expect(() => new NvsWriter(0x3100)).toThrow(/multiple of 0x1000/);
    // Two data pages in 0x3000: the third page stays free, so a third page of data does not fit.
    const small = new NvsWriter(0x3000);
    small.namespace("s");
    expect(() => {
      for (let i = 0; i < 3 * ENTRIES_PER_PAGE; i++) small.u8(`k${i}`, 1);
    }).toThrow(/do not fit an NVS partition of 0x3000 bytes/);
  });
});

describe("NVS reader", () => {
  it.each(VECTOR_SIZES)("reads back every value of the generator's %s.bin", (name) => {
    const image = new Uint8Array(readFileSync(join(VECTORS, `${name}.bin`)));
    expect(readNvs(image).namespaces).toEqual(expectedValues(vectorRows(name)));
  });

  it("reads UTF-8 strings and strings with commas", () => {
    const values = readNvs(new Uint8Array(readFileSync(join(VECTORS, "device.bin")))).namespaces.get("config");
    expect(values?.get("payeeLocal")).toEqual({ type: "string", value: "शर्मा चाय" });
    expect(values?.get("payee")).toEqual({ type: "string", value: "Sharma Chai Corner, Pune" });
  });

  function corrupted(offset: number, mask = 0x01): Uint8Array {
    const image = new Uint8Array(readFileSync(join(VECTORS, "device.bin")));
    image[offset] ^= mask;
    return image;
  }

  it.each([
    ["a flipped bit in a page header", 8 + 4, /page 0: header CRC/],
    ["a flipped bit in an entry's key", FIRST_ENTRY_OFFSET + 3 * ENTRY_SIZE + 9, /page 0 entry 3: entry CRC/],
    ["a flipped bit in a string's payload", FIRST_ENTRY_OFFSET + 2 * ENTRY_SIZE + 3, /page 0 entry 1: payload CRC mismatch for id/],
    ["an unknown page state", 1, /page 0: unknown state/],
  ])("names the place of %s", (_what, offset, message) => {
    expect(() => readNvs(corrupted(offset as number))).toThrow(message as RegExp);
  });

  it("refuses images that are not whole pages, and a missing blob chunk", () => {
    expect(() => readNvs(new Uint8Array(5000))).toThrow(/whole number of 4096-byte pages/);
    const writer = new NvsWriter(0x4000);
    writer.namespace("ns");
    for (let i = 0; i < 100; i++) writer.u8(`u${i}`, i);
    writer.blob("big", new Uint8Array(4000));
    const image = writer.finish();
    // Mark chunk 1 (page 1, entry 0 and its 101 data entries) erased, as an interrupted write would leave it.
    for (let e = 0; e < 102; e++) image[PAGE_SIZE + 32 + ((e * 2) >> 3)] &= ~(0b11 << ((e * 2) & 7));
    expect(() => readNvs(image)).toThrow(/blob big is missing chunk 1/);
  });
});

describe("NVS images and the firmware's key-value store", () => {
  const domains: KvDomains = [
    ["config", [["host", "mqtt.example.com"], ["port", 8883], ["tls", true], ["debug", false], ["lang", "hi-in"]]],
    ["keys", [["k1", new Uint8Array(32).fill(7).buffer]]],
  ];

  it("maps booleans to u8, numbers to i32, strings to str and ArrayBuffers to blobs, and back, as Moddable's preference does", () => {
    const image = encodeKvImage(domains, 0x6000);
    const types = [...(readNvs(image).namespaces.get("config")?.values() ?? [])].map((v) => v.type);
    expect(types).toEqual(["string", "i32", "u8", "u8", "string"]);
    const kv = new MemoryKv();
    loadNvsIntoKv(image, kv);
    expect(kv.get("config", "tls")).toBe(true);
    expect(kv.get("config", "debug")).toBe(false);
    expect(kv.get("config", "port")).toBe(8883);
    expect(kv.get("config", "host")).toBe("mqtt.example.com");
    expect(new Uint8Array(kv.get("keys", "k1") as ArrayBuffer)).toEqual(new Uint8Array(32).fill(7));
  });

  it("writes the generator CSV that describes the same image", () => {
    const csv = encodeKvCsv(domains);
    const rows = parseCsv(csv).slice(1).map(({ fields: [key, type, encoding, value] }) => ({ key, type, encoding, value }));
    expect(writeRows(rows, 0x6000)).toEqual(encodeKvImage(domains, 0x6000));
    expect(csv.split("\n")[1]).toBe("config,namespace,,");
  });

  it("refuses values the device's store would refuse, before writing anything", () => {
    expect(() => encodeKvImage([["config", [["k", 1.5]]]], 0x3000)).toThrow(KvError);
    expect(() => encodeKvImage([["config", [["k", new ArrayBuffer(3969)]]]], 0x3000)).toThrow(KvError);
  });

  it("refuses an image holding a type the store never reads, leaving the store untouched", () => {
    const writer = new NvsWriter(0x3000);
    writer.namespace("config");
    writer.string("host", "h");
    const image = writer.finish();
    // Turn the string into a u16 item (type 0x02, span 1) and keep the CRC right.
    const entry = entryAt(image, 0, 1);
    entry[1] = ItemType.U16;
    entry[2] = 1;
    new DataView(entry.buffer, entry.byteOffset).setUint32(4, entryCrc(entry), true);
    image[32] |= 0b11 << 4; // its old payload entry becomes an empty entry, ending the page
    const kv = new MemoryKv();
    expect(() => loadNvsIntoKv(image, kv)).toThrow(NvsFormatError);
    expect(() => loadNvsIntoKv(image, kv)).toThrow(/config\/host: type u16 is not one the firmware's key-value store reads/);
    expect(kv.writes).toBe(0);
  });
});
