/**
 * Writes an ESP-IDF NVS partition image the way nvs_partition_gen.py (esp-idf-nvs-partition-gen
 * 0.2.0, format version 2) does, byte for byte: entries are laid out in the order they are given,
 * pages fill front to back, a full page is marked FULL and the last one written stays ACTIVE, the
 * rest of the partition is erased flash (0xff), and the last page is always left free for NVS's
 * garbage collection. test/unit/nvs-vectors.test.ts holds images made by the real generator.
 *
 * Placement rules copied from the generator's behaviour (not from its code), since they decide
 * where every byte goes:
 * - a primitive needs one free entry;
 * - a string needs its header plus data entries and must leave at least one entry free on the
 *   page after it, otherwise it starts a new page;
 * - a blob starts wherever one entry is free and is cut into chunks (blob_data items, chunk index
 *   0, 1, ...) that fill each page up to its last entry, then a blob_idx item (size, chunk count,
 *   first chunk) follows on the page where the last chunk left room, or on a new page.
 */
import { crc32, entryCrc } from "./crc32";
import {
  BITMAP_OFFSET,
  CHUNK_ANY,
  ENTRIES_PER_PAGE,
  ENTRY_SIZE,
  FIRST_ENTRY_OFFSET,
  ItemType,
  KEY_MAX_LENGTH,
  MAX_NAMESPACES,
  MAX_STRING_BYTES,
  NAMESPACE_OF_NAMESPACES,
  PAGE_SIZE,
  PageState,
  PageVersion,
  variableItemEntries,
} from "./layout";

export class NvsError extends Error {
  constructor(readonly code: "key" | "value" | "size" | "namespace", message: string) {
    super(message);
    this.name = "NvsError";
  }
}

const utf8 = new TextEncoder();

class Page {
  readonly bytes = new Uint8Array(PAGE_SIZE).fill(0xff);
  used = 0;
  readonly #view = new DataView(this.bytes.buffer);

  constructor(sequence: number) {
    this.#view.setUint32(0, PageState.ACTIVE, true);
    this.#view.setUint32(4, sequence, true);
    this.bytes[8] = PageVersion.V2;
    this.#view.setUint32(28, crc32(this.bytes.subarray(4, 28)), true);
  }

  get free(): number {
    return ENTRIES_PER_PAGE - this.used;
  }

  markFull(): void {
    if (this.#view.getUint32(0, true) === PageState.ACTIVE) this.#view.setUint32(0, PageState.FULL, true);
  }

  /** Copies `data` into the next `count` entries (the tail of the last one stays 0xff) and marks them written. */
  append(data: Uint8Array, count: number): void {
    this.bytes.set(data, FIRST_ENTRY_OFFSET + this.used * ENTRY_SIZE);
    for (let i = 0; i < count; i++) {
      const bit = this.used * 2;
      this.bytes[BITMAP_OFFSET + (bit >> 3)] &= ~(1 << (bit & 7));
      this.used++;
    }
  }
}

/** A 32-byte entry header with the fields every item shares; data bytes stay 0xff. */
function entryHeader(namespace: number, type: number, span: number, chunkIndex: number, key: string): Uint8Array {
  const entry = new Uint8Array(ENTRY_SIZE).fill(0xff);
  entry[0] = namespace;
  entry[1] = type;
  entry[2] = span;
  entry[3] = chunkIndex;
  entry.fill(0, 8, 24);
  for (let i = 0; i < key.length; i++) entry[8 + i] = key.charCodeAt(i);
  return entry;
}

function sealed(entry: Uint8Array): Uint8Array {
  new DataView(entry.buffer, entry.byteOffset).setUint32(4, entryCrc(entry), true);
  return entry;
}

export function checkNvsKey(key: string): void {
  if (typeof key !== "string" || key.length === 0 || key.length > KEY_MAX_LENGTH)
    throw new NvsError("key", `NVS keys are 1 to ${KEY_MAX_LENGTH} characters: ${JSON.stringify(key)}`);
  if (!/^[\x21-\x7e]+$/.test(key)) throw new NvsError("key", `NVS keys are printable ASCII: ${JSON.stringify(key)}`);
}

export class NvsWriter {
  readonly #pages: Page[] = [];
  readonly #namespaces = new Map<string, number>();
  /** Pages that may still hold data: all but the one NVS keeps free. */
  readonly #dataPages: number;
  #current: Page;
  #namespace = 0;

  /** `size`: the partition's size in bytes, a multiple of 4096, at least 3 pages (read/write NVS). */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size % PAGE_SIZE !== 0 || size < 3 * PAGE_SIZE)
      throw new NvsError("size", `NVS partition size must be a multiple of 0x1000 and at least 0x3000, got ${size}`);
    this.#dataPages = size / PAGE_SIZE - 1;
    this.#current = this.#newPage();
  }

  /**
   * Entries that follow go into this namespace. Each namespace is opened once: nvs_partition_gen.py
   * 0.2.0 accepts a namespace row naming an earlier namespace but keeps writing into the newest one,
   * so an image that returned to a namespace could not match what the generator makes of the same rows.
   */
  namespace(name: string): void {
    checkNvsKey(name);
    if (this.#namespaces.has(name))
      throw new NvsError("namespace", `namespace ${name} was already written; write each namespace's entries together`);
    if (this.#namespaces.size >= MAX_NAMESPACES) throw new NvsError("namespace", `NVS holds at most ${MAX_NAMESPACES} namespaces`);
    const index = this.#namespaces.size + 1;
    this.#primitive(NAMESPACE_OF_NAMESPACES, name, ItemType.U8, index);
    this.#namespaces.set(name, index);
    this.#namespace = index;
  }

  u8(key: string, value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new NvsError("value", `${key}: u8 out of range: ${value}`);
    this.#primitive(this.#requireNamespace(key), key, ItemType.U8, value);
  }

  i32(key: string, value: number): void {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new NvsError("value", `${key}: i32 out of range: ${value}`);
    this.#primitive(this.#requireNamespace(key), key, ItemType.I32, value);
  }

  /** Stored with its terminating NUL, as nvs_set_str does. */
  string(key: string, value: string): void {
    const namespace = this.#requireNamespace(key);
    const bytes = utf8.encode(`${value}\0`);
    // The generator refuses more than 4000 bytes, and from 3969 on a string no longer fits its
    // "leave one entry free" rule even on an empty page, so it cannot place one.
    const fits = (ENTRIES_PER_PAGE - 2) * ENTRY_SIZE;
    if (bytes.length > MAX_STRING_BYTES || bytes.length > fits)
      throw new NvsError("value", `${key}: string of ${bytes.length} bytes with its NUL exceeds the ${fits} bytes one NVS page can take`);
    const span = variableItemEntries(bytes.length);
    if (this.#current.used + span >= ENTRIES_PER_PAGE) this.#advance();
    const header = entryHeader(namespace, ItemType.SZ, span, CHUNK_ANY, key);
    this.#writeSized(header, bytes);
  }

  /** A version 2 blob: blob_data chunks spread over as many pages as it takes, then a blob_idx. */
  blob(key: string, value: Uint8Array): void {
    const namespace = this.#requireNamespace(key);
    if (this.#current.free === 0) this.#advance();
    let offset = 0;
    let chunks = 0;
    for (;;) {
      const room = (this.#current.free - 1) * ENTRY_SIZE;
      const size = Math.min(room, value.length - offset);
      if (chunks > 0xfe) throw new NvsError("value", `${key}: blob needs more than 255 chunks`);
      const header = entryHeader(namespace, ItemType.BLOB_DATA, variableItemEntries(size), chunks, key);
      this.#writeSized(header, value.subarray(offset, offset + size));
      chunks++;
      offset += size;
      if (offset < value.length || room - size < ENTRY_SIZE) this.#advance();
      if (offset === value.length) break;
    }
    const index = entryHeader(namespace, ItemType.BLOB_IDX, 1, CHUNK_ANY, key);
    const view = new DataView(index.buffer);
    view.setUint32(24, value.length, true);
    index[28] = chunks;
    index[29] = 0;
    this.#current.append(sealed(index), 1);
  }

  /** The whole partition: the pages written, then erased flash up to `size`. */
  finish(): Uint8Array {
    const image = new Uint8Array(this.size).fill(0xff);
    this.#pages.forEach((page, i) => image.set(page.bytes, i * PAGE_SIZE));
    return image;
  }

  #requireNamespace(key: string): number {
    checkNvsKey(key);
    if (this.#namespace === 0) throw new NvsError("namespace", `${key}: no namespace chosen before the first entry`);
    return this.#namespace;
  }

  #primitive(namespace: number, key: string, type: number, value: number): void {
    if (this.#current.free === 0) this.#advance();
    const entry = entryHeader(namespace, type, 1, CHUNK_ANY, key);
    const view = new DataView(entry.buffer);
    if (type === ItemType.U8) view.setUint8(24, value);
    else view.setInt32(24, value, true);
    this.#current.append(sealed(entry), 1);
  }

  /** Header (size, CRC of the payload) then the payload in the entries after it. */
  #writeSized(header: Uint8Array, payload: Uint8Array): void {
    const view = new DataView(header.buffer);
    view.setUint16(24, payload.length, true);
    view.setUint32(28, crc32(payload), true);
    this.#current.append(sealed(header), 1);
    this.#current.append(payload, variableItemEntries(payload.length) - 1);
  }

  #advance(): void {
    this.#current.markFull();
    this.#current = this.#newPage();
  }

  #newPage(): Page {
    if (this.#pages.length >= this.#dataPages)
      throw new NvsError("size", `the entries do not fit an NVS partition of 0x${this.size.toString(16)} bytes (one page stays free)`);
    const page = new Page(this.#pages.length);
    this.#pages.push(page);
    return page;
  }
}
