/**
 * cbor-x set up to write the plain CBOR the device's strict reader accepts: definite map
 * lengths in their shortest form, byte strings without typed-array tags, no record extensions,
 * and whole numbers as CBOR integers (cbor-x writes numbers past 2^32 as float64 unless they are
 * BigInts, so those are converted first).
 */
import { Encoder, Decoder } from "cbor-x";

const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true, tagUint8Array: false });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true, int64AsNumber: true } as ConstructorParameters<typeof Decoder>[0]);

type Plain = number | bigint | string | boolean | null | Uint8Array | Plain[] | { [key: string]: Plain };

function integersAsBigInt(value: Plain): Plain {
  if (typeof value === "number") return Number.isSafeInteger(value) && (value > 0xffffffff || value < -0x100000000) ? BigInt(value) : value;
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(integersAsBigInt);
  const out: { [key: string]: Plain } = {};
  for (const [key, item] of Object.entries(value)) out[key] = integersAsBigInt(item);
  return out;
}

export function encodeProtocolCbor(value: Plain): Uint8Array {
  const bytes = encoder.encode(integersAsBigInt(value));
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes what a device sends (acks, status, telemetry). Throws on malformed input. */
export function decodeProtocolCbor(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}

/** A device's message as a map of its fields; undefined when it is not CBOR or not a map. */
export function decodeDeviceMap(bytes: Uint8Array): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) ? (value as Record<string, unknown>) : undefined;
}

export type { Plain as CborPlain };
