/**
 * Reads an ESP-IDF NVS partition image back into namespaces and typed values, checking what the
 * device's NVS library checks: page header CRC, entry CRCs, payload CRCs, spans, string NULs, and
 * that a blob's chunks add up to the size its index names. Pages are visited in sequence order and
 * a later write of a key replaces an earlier one, so a partition read back from a device works too.
 * Any inconsistency is an NvsFormatError naming the page and entry, never a silently skipped item.
 */
import { crc32, entryCrc } from "./crc32";
import {
  BITMAP_OFFSET,
  CHUNK_ANY,
  ENTRIES_PER_PAGE,
  ENTRY_SIZE,
  EntryState,
  FIRST_ENTRY_OFFSET,
  ItemType,
  KEY_MAX_LENGTH,
  NAMESPACE_OF_NAMESPACES,
  PAGE_SIZE,
  PageState,
  PageVersion,
} from "./layout";

export type NvsValue =
  | { type: "u8" | "i8" | "u16" | "i16" | "u32" | "i32"; value: number }
  | { type: "u64" | "i64"; value: bigint }
  | { type: "string"; value: string }
  | { type: "blob"; value: Uint8Array };

export interface NvsPageInfo {
  index: number;
  state: "empty" | "active" | "full" | "freeing" | "corrupt";
  sequence?: number;
  version?: number;
  /** Entries marked written, including payload entries. */
  written: number;
}

export interface NvsContents {
  /** namespace name -> key -> value, in the order first written. */
  namespaces: Map<string, Map<string, NvsValue>>;
  pages: NvsPageInfo[];
}

export class NvsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NvsFormatError";
  }
}

const PRIMITIVES = new Map<number, NvsValue["type"]>([
  [ItemType.U8, "u8"],
  [ItemType.I8, "i8"],
  [ItemType.U16, "u16"],
  [ItemType.I16, "i16"],
  [ItemType.U32, "u32"],
  [ItemType.I32, "i32"],
  [ItemType.U64, "u64"],
  [ItemType.I64, "i64"],
]);

const STATES = new Map<number, NvsPageInfo["state"]>([
  [PageState.EMPTY, "empty"],
  [PageState.ACTIVE, "active"],
  [PageState.FULL, "full"],
  [PageState.FREEING, "freeing"],
  [PageState.CORRUPT, "corrupt"],
]);

type Item =
  | { kind: "value"; namespace: number; key: string; value: NvsValue }
  | { kind: "chunk"; namespace: number; key: string; chunk: number; data: Uint8Array }
  | { kind: "index"; namespace: number; key: string; size: number; count: number; start: number; where: string };

const text = new TextDecoder("utf-8", { fatal: true });

function readKey(entry: Uint8Array, where: string): string {
  const end = entry.indexOf(0, 8);
  if (end < 0 || end > 8 + KEY_MAX_LENGTH) throw new NvsFormatError(`${where}: key is not NUL-terminated within ${KEY_MAX_LENGTH + 1} bytes`);
  let key = "";
  for (let i = 8; i < end; i++) {
    if (entry[i] < 0x20 || entry[i] > 0x7e) throw new NvsFormatError(`${where}: key has a non-ASCII byte 0x${entry[i].toString(16)}`);
    key += String.fromCharCode(entry[i]);
  }
  if (key.length === 0) throw new NvsFormatError(`${where}: empty key`);
  return key;
}

function primitive(type: NvsValue["type"], view: DataView): NvsValue {
  switch (type) {
    case "u8": return { type, value: view.getUint8(24) };
    case "i8": return { type, value: view.getInt8(24) };
    case "u16": return { type, value: view.getUint16(24, true) };
    case "i16": return { type, value: view.getInt16(24, true) };
    case "u32": return { type, value: view.getUint32(24, true) };
    case "i32": return { type, value: view.getInt32(24, true) };
    case "u64": return { type, value: view.getBigUint64(24, true) };
    default: return { type: "i64", value: view.getBigInt64(24, true) };
  }
}

function entryState(page: Uint8Array, entry: number): number {
  const bit = entry * 2;
  return (page[BITMAP_OFFSET + (bit >> 3)] >> (bit & 7)) & 0b11;
}

function readPage(page: Uint8Array, pageIndex: number, items: Item[]): NvsPageInfo {
  const view = new DataView(page.buffer, page.byteOffset, PAGE_SIZE);
  const stateWord = view.getUint32(0, true);
  const state = STATES.get(stateWord);
  if (!state) throw new NvsFormatError(`page ${pageIndex}: unknown state 0x${stateWord.toString(16).padStart(8, "0")}`);
  if (state === "empty") {
    if (page.some((byte) => byte !== 0xff)) throw new NvsFormatError(`page ${pageIndex}: marked empty but not erased`);
    return { index: pageIndex, state, written: 0 };
  }
  if (state === "corrupt") return { index: pageIndex, state, written: 0 };
  const stored = view.getUint32(28, true);
  const computed = crc32(page.subarray(4, 28));
  if (stored !== computed) throw new NvsFormatError(`page ${pageIndex}: header CRC 0x${stored.toString(16)} != 0x${computed.toString(16)}`);
  const version = page[8];
  if (version !== PageVersion.V2 && version !== PageVersion.V1) throw new NvsFormatError(`page ${pageIndex}: unknown format version 0x${version.toString(16)}`);
  const sequence = view.getUint32(4, true);

  let written = 0;
  for (let e = 0; e < ENTRIES_PER_PAGE; ) {
    const where = `page ${pageIndex} entry ${e}`;
    const state = entryState(page, e);
    if (state === EntryState.EMPTY) break;
    if (state === EntryState.ERASED) {
      e++;
      continue;
    }
    if (state !== EntryState.WRITTEN) throw new NvsFormatError(`${where}: invalid entry state 0b${state.toString(2)}`);
    const offset = FIRST_ENTRY_OFFSET + e * ENTRY_SIZE;
    const entry = page.subarray(offset, offset + ENTRY_SIZE);
    const entryView = new DataView(page.buffer, page.byteOffset + offset, ENTRY_SIZE);
    const crc = entryView.getUint32(4, true);
    if (crc !== entryCrc(entry)) throw new NvsFormatError(`${where}: entry CRC 0x${crc.toString(16)} != 0x${entryCrc(entry).toString(16)}`);
    const [namespace, type, span, chunk] = entry;
    if (span < 1 || e + span > ENTRIES_PER_PAGE) throw new NvsFormatError(`${where}: span ${span} runs past the page`);
    for (let s = 1; s < span; s++)
      if (entryState(page, e + s) !== EntryState.WRITTEN) throw new NvsFormatError(`${where}: payload entry ${e + s} is not marked written`);
    const key = readKey(entry, where);
    const primitiveType = PRIMITIVES.get(type);
    if (primitiveType) {
      if (span !== 1) throw new NvsFormatError(`${where}: ${primitiveType} with span ${span}`);
      items.push({ kind: "value", namespace, key, value: primitive(primitiveType, entryView) });
    } else if (type === ItemType.SZ || type === ItemType.BLOB || type === ItemType.BLOB_DATA) {
      const size = entryView.getUint16(24, true);
      const dataCrc = entryView.getUint32(28, true);
      if (Math.ceil(size / ENTRY_SIZE) !== span - 1) throw new NvsFormatError(`${where}: ${size} bytes do not match span ${span}`);
      const payload = page.slice(offset + ENTRY_SIZE, offset + ENTRY_SIZE + size);
      if (crc32(payload) !== dataCrc) throw new NvsFormatError(`${where}: payload CRC mismatch for ${key}`);
      if (type === ItemType.SZ) {
        if (size === 0 || payload[size - 1] !== 0) throw new NvsFormatError(`${where}: string ${key} is not NUL-terminated`);
        let value: string;
        try {
          value = text.decode(payload.subarray(0, size - 1));
        } catch {
          throw new NvsFormatError(`${where}: string ${key} is not valid UTF-8`);
        }
        items.push({ kind: "value", namespace, key, value: { type: "string", value } });
      } else if (type === ItemType.BLOB) {
        if (chunk !== CHUNK_ANY) throw new NvsFormatError(`${where}: version 1 blob with chunk index ${chunk}`);
        items.push({ kind: "value", namespace, key, value: { type: "blob", value: payload } });
      } else {
        if (chunk === CHUNK_ANY) throw new NvsFormatError(`${where}: blob chunk without a chunk index`);
        items.push({ kind: "chunk", namespace, key, chunk, data: payload });
      }
    } else if (type === ItemType.BLOB_IDX) {
      if (span !== 1) throw new NvsFormatError(`${where}: blob index with span ${span}`);
      items.push({ kind: "index", namespace, key, size: entryView.getUint32(24, true), count: entry[28], start: entry[29], where });
    } else {
      throw new NvsFormatError(`${where}: unknown item type 0x${type.toString(16)}`);
    }
    written += span;
    e += span;
  }
  return { index: pageIndex, state, sequence, version, written };
}

function assembleBlob(index: Extract<Item, { kind: "index" }>, chunks: Map<string, Uint8Array>, id: string): Uint8Array {
  const blob = new Uint8Array(index.size);
  let length = 0;
  for (let c = index.start; c < index.start + index.count; c++) {
    const data = chunks.get(`${id}/${c}`);
    if (!data) throw new NvsFormatError(`${index.where}: blob ${index.key} is missing chunk ${c}`);
    if (length + data.length > index.size) throw new NvsFormatError(`${index.where}: blob ${index.key} chunks exceed its size ${index.size}`);
    blob.set(data, length);
    length += data.length;
  }
  if (length !== index.size) throw new NvsFormatError(`${index.where}: blob ${index.key} chunks hold ${length} of ${index.size} bytes`);
  return blob;
}

export function readNvs(image: Uint8Array): NvsContents {
  if (image.length === 0 || image.length % PAGE_SIZE !== 0)
    throw new NvsFormatError(`an NVS image is a whole number of 4096-byte pages, got ${image.length} bytes`);
  const pages: NvsPageInfo[] = [];
  const perPage: Item[][] = [];
  for (let p = 0; p < image.length / PAGE_SIZE; p++) {
    const items: Item[] = [];
    pages.push(readPage(image.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), p, items));
    perPage.push(items);
  }
  const order = pages
    .map((info, p) => ({ info, items: perPage[p] }))
    .filter(({ info }) => info.sequence !== undefined)
    .sort((a, b) => (a.info.sequence as number) - (b.info.sequence as number));
  const sequences = new Set<number>();
  for (const { info } of order) {
    if (sequences.has(info.sequence as number)) throw new NvsFormatError(`page ${info.index}: sequence ${info.sequence} used twice`);
    sequences.add(info.sequence as number);
  }
  const items = order.flatMap(({ items }) => items);

  const names = new Map<number, string>();
  for (const item of items) {
    if (item.namespace !== NAMESPACE_OF_NAMESPACES) continue;
    if (item.kind !== "value" || item.value.type !== "u8") throw new NvsFormatError(`namespace entry ${item.key} is not a u8`);
    names.set(item.value.value, item.key);
  }
  const namespaces = new Map<string, Map<string, NvsValue>>();
  const chunks = new Map<string, Uint8Array>();
  for (const item of items) {
    if (item.namespace === NAMESPACE_OF_NAMESPACES) continue;
    const name = names.get(item.namespace);
    if (name === undefined) throw new NvsFormatError(`${item.key}: namespace index ${item.namespace} has no namespace entry`);
    let entries = namespaces.get(name);
    if (!entries) namespaces.set(name, (entries = new Map()));
    const id = `${item.namespace}/${item.key}`;
    if (item.kind === "chunk") chunks.set(`${id}/${item.chunk}`, item.data);
    else if (item.kind === "index") entries.set(item.key, { type: "blob", value: assembleBlob(item, chunks, id) });
    else entries.set(item.key, item.value);
  }
  return { namespaces, pages };
}
