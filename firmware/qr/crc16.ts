/**
 * CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR), the
 * checksum EMVCo MPM puts in data object 63 (EMV QRCPS MPM section 4.7.3). Table-driven: the
 * 256-entry table is built once, 512 bytes.
 */
const TABLE = new Uint16Array(256);
for (let byte = 0; byte < 256; byte++) {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  TABLE[byte] = crc;
}

export function crc16CcittFalse(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

/** Four upper-case hex digits, as tag 63 carries them. */
export function crcHex(crc: number): string {
  const hex = crc.toString(16).toUpperCase();
  return "0000".slice(hex.length) + hex;
}
