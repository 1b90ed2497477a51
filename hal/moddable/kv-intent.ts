/**
 * The intent record of the ESP32 key-value store (preference-kv.ts): one pending change to one
 * key, kept as a blob in the key's own namespace.
 *
 *   byte 0      what the key becomes: 0 deleted, 1 boolean, 2 int32, 3 string, 4 blob
 *   byte 1      n, the key's length (1 to 15)
 *   2 .. 2+n    the key, ASCII
 *   the rest    the value: a boolean as 0 or 1, an int32 as 4 bytes little-endian, a string as
 *               its UTF-8 bytes (no NUL), a blob as it is; nothing for a delete
 *
 * The header is at most 17 bytes, which is what NVS_LIMITS.valueBytes leaves room for.
 */
import { NVS_LIMITS, type KvValue } from "../kv";
import { utf8Bytes, utf8Text } from "../utf8";

/** A change to one key: its new value, or undefined when the key is deleted. */
export interface KvIntent {
  key: string;
  value: KvValue | undefined;
}

const DELETED = 0;
const BOOLEAN = 1;
const INT32 = 2;
const STRING = 3;
const BLOB = 4;

export function encodeIntent(intent: KvIntent): ArrayBuffer {
  const { key, value } = intent;
  let kind: number;
  let body: Uint8Array;
  if (value === undefined) [kind, body] = [DELETED, new Uint8Array(0)];
  else if (typeof value === "boolean") [kind, body] = [BOOLEAN, Uint8Array.of(value ? 1 : 0)];
  else if (typeof value === "number") {
    kind = INT32;
    body = new Uint8Array(4);
    new DataView(body.buffer).setInt32(0, value, true);
  } else if (typeof value === "string") [kind, body] = [STRING, utf8Bytes(value)];
  else [kind, body] = [BLOB, new Uint8Array(value)];
  const out = new Uint8Array(2 + key.length + body.length);
  out[0] = kind;
  out[1] = key.length;
  for (let i = 0; i < key.length; i++) out[2 + i] = key.charCodeAt(i);
  out.set(body, 2 + key.length);
  return out.buffer;
}

/** The intent, or undefined when the stored value is not one this format wrote. */
export function decodeIntent(stored: KvValue): KvIntent | undefined {
  if (!(stored instanceof ArrayBuffer) || stored.byteLength < 3) return undefined;
  const bytes = new Uint8Array(stored);
  const length = bytes[1];
  if (length < 1 || length > NVS_LIMITS.nameLength || 2 + length > bytes.length) return undefined;
  let key = "";
  for (let i = 0; i < length; i++) {
    const c = bytes[2 + i];
    if (c < 0x21 || c > 0x7e) return undefined;
    key += String.fromCharCode(c);
  }
  const body = bytes.subarray(2 + length);
  switch (bytes[0]) {
    case DELETED:
      return body.length === 0 ? { key, value: undefined } : undefined;
    case BOOLEAN:
      return body.length === 1 && body[0] <= 1 ? { key, value: body[0] === 1 } : undefined;
    case INT32:
      return body.length === 4 ? { key, value: new DataView(stored, 2 + length).getInt32(0, true) } : undefined;
    case STRING: {
      const text = utf8Text(body);
      return text === undefined ? undefined : { key, value: text };
    }
    case BLOB:
      return { key, value: body.slice().buffer };
    default:
      return undefined;
  }
}
