/**
 * CRC-32 as ESP-IDF's NVS uses it: the IEEE polynomial, reflected (0xEDB88320), computed as
 * `esp_rom_crc32_le(0xffffffff, data, len)` on the device and `zlib.crc32(data, 0xffffffff)` in
 * nvs_partition_gen.py. Passing 0xffffffff as the running value means the register starts at 0,
 * so the result differs from the usual CRC-32 (which starts the register at 0xffffffff):
 * "123456789" gives 0xd202d277 here and 0xcbf43926 there.
 */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** zlib.crc32(data, running) semantics; NVS always passes running = 0xffffffff. */
export function crc32(data: Uint8Array, running = 0xffffffff): number {
  let c = ~running >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** The CRC NVS stores in an entry: bytes 0-3 and 8-31, skipping the CRC field itself. */
export function entryCrc(entry: Uint8Array): number {
  const covered = new Uint8Array(28);
  covered.set(entry.subarray(0, 4), 0);
  covered.set(entry.subarray(8, 32), 4);
  return crc32(covered);
}
