/**
 * The ESP-IDF NVS flash layout (components/nvs_flash, "NVS Partition Generator" and "Non-volatile
 * Storage" docs): 4096-byte pages; a 32-byte page header, a 32-byte entry state bitmap, then 126
 * entries of 32 bytes.
 *
 * Page header: state u32 | sequence u32 | version u8 | 0xff x19 | CRC32 of bytes 4-27.
 * Entry:       namespace u8 | type u8 | span u8 | chunk index u8 | CRC32 u32 | key char[16] | data 8 bytes
 *              (the CRC covers bytes 0-3 and 8-31). Keys are NUL-padded, at most 15 characters.
 * Data field:  primitives little-endian, unused bytes 0xff; strings and blob chunks
 *              size u16 | 0xffff | CRC32 of the payload, the payload in the `span - 1` entries after;
 *              blob index size u32 | chunk count u8 | first chunk index u8 | 0xffff.
 * Bitmap:      2 bits per entry, entry n at bit 2n: 0b11 empty, 0b10 written, 0b00 erased.
 */
export const PAGE_SIZE = 4096;
export const ENTRY_SIZE = 32;
export const ENTRIES_PER_PAGE = 126;
export const FIRST_ENTRY_OFFSET = 64;
export const BITMAP_OFFSET = 32;
export const KEY_MAX_LENGTH = 15;
/** Namespace 0 holds the namespace entries themselves (key = name, u8 value = index). */
export const NAMESPACE_OF_NAMESPACES = 0;
/** Indexes 1..254; 0xff marks an unused entry. */
export const MAX_NAMESPACES = 254;
/** The chunk index of every item that is not a blob chunk. */
export const CHUNK_ANY = 0xff;

export const PageState = Object.freeze({
  EMPTY: 0xffffffff,
  ACTIVE: 0xfffffffe,
  FULL: 0xfffffffc,
  FREEING: 0xfffffff8,
  CORRUPT: 0x00000000,
});

/** Page format versions: 0xff is version 1 (single-page blobs), 0xfe version 2 (multi-page blobs). */
export const PageVersion = Object.freeze({ V1: 0xff, V2: 0xfe });

export const EntryState = Object.freeze({ EMPTY: 0b11, WRITTEN: 0b10, ERASED: 0b00 });

/** Item types; the low nibble of a primitive type is its width in bytes, 0x10 marks signed. */
export const ItemType = Object.freeze({
  U8: 0x01,
  I8: 0x11,
  U16: 0x02,
  I16: 0x12,
  U32: 0x04,
  I32: 0x14,
  U64: 0x08,
  I64: 0x18,
  SZ: 0x21,
  /** Version 1 blobs: one item on one page. */
  BLOB: 0x41,
  BLOB_DATA: 0x42,
  BLOB_IDX: 0x48,
});

/** Largest string (bytes with its NUL) the generator accepts. */
export const MAX_STRING_BYTES = 4000;

/**
 * Entries an item with a payload takes (a string, or one chunk of a blob): its header entry, then
 * the payload in 32-byte entries, the last one padded.
 */
export function variableItemEntries(payloadBytes: number): number {
  return 1 + Math.ceil(payloadBytes / ENTRY_SIZE);
}
