/**
 * The signed update manifest (docs/protocol.md, "Updates"): what an image is, for which product,
 * and how to check every byte of it, signed by the operator with ECDSA P-256.
 *
 *   signed = CBOR {v: 1, body: bstr, sig: bstr .size 64}
 *   sig    = ECDSA-P256-SHA256(operator key, "payterm/v1/release" || 0x00 || body)   (r || s)
 *   body   = CBOR {v: 1, kind, prod, ver, min, size, sha, chunk, blk, bhs, lang?, at?}
 *
 * The signature covers the body bytes as sent, like the HMAC tags, and its domain prefix keeps a
 * signature over anything else from verifying as a release. Nothing in the body is read before
 * the signature checks out.
 */
import type { Crypto } from "../../hal/crypto";
import type { Product } from "../../hal/system";
import { concatBytes, toHex, utf8Encode } from "../protocol/bytes";
import { CborError, decodeCbor, isCborMap, type CborMap, type CborValue } from "../protocol/cbor";
import { UpdateReason, UpdateRefusal } from "./reasons";
import { compareVersions, parseVersion } from "./version";

export const MANIFEST_VERSION = 1;
export const RELEASE_SIGNATURE_DOMAIN = "payterm/v1/release\u0000";
/** A signed manifest is about 330 bytes; anything much larger is not one. */
export const MAX_MANIFEST_BYTES = 768;
/** Transfer units: powers of two that divide a 4096-byte flash sector and fit a 4 KB MQTT message. */
export const CHUNK_SIZES: readonly number[] = [256, 512, 1024, 2048];
/** Blocks are whole flash sectors, so a download can restart at a block without erasing a neighbour. */
export const BLOCK_ALIGN = 4096;
/** The block table is kept in one NVS value (at most 3968 bytes, NVS_LIMITS): 120 hashes of 32 bytes. */
export const MAX_BLOCKS = 120;
export const HASH_BYTES = 32;

export type UpdateKind = "firmware" | "voice-pack";
const KINDS: readonly UpdateKind[] = ["firmware", "voice-pack"];
const PRODUCTS: readonly Product[] = ["soundbox", "qr-display"];
/** BCP 47 as the voice packs name languages: "en-in", "ta", "zh-hans-cn". */
const LANGUAGE = /^[a-z]{2,3}(-[a-z0-9]{2,8}){0,3}$/;

export interface Manifest {
  kind: UpdateKind;
  product: Product;
  version: string;
  minVersion: string;
  size: number;
  sha256: Uint8Array;
  chunkSize: number;
  blockSize: number;
  /** SHA-256 of the block table: the concatenated SHA-256 of each block, in order. */
  tableSha256: Uint8Array;
  /** Voice packs: the language the pack speaks. */
  language: string | undefined;
  /** When it was signed, ms since the epoch (informational). */
  signedAt: number | undefined;
  /** Names this release in chunk requests: hex of the first 8 bytes of SHA-256(body). */
  releaseId: string;
  /** The signed manifest as received, kept to resume after a restart. */
  signed: Uint8Array;
}

export function blockCount(manifest: Pick<Manifest, "size" | "blockSize">): number {
  return Math.ceil(manifest.size / manifest.blockSize);
}

function refuse(message: string): never {
  throw new UpdateRefusal(UpdateReason.badManifest, message);
}

function decode(bytes: Uint8Array, what: string): CborMap {
  let value: CborValue;
  try {
    value = decodeCbor(bytes);
  } catch (error) {
    if (error instanceof CborError) refuse(`${what}: ${error.message}`);
    throw error;
  }
  if (!isCborMap(value)) refuse(`${what} is not a map`);
  return value;
}

function uint(body: CborMap, key: string, min: number, max: number): number {
  const value = body[key];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    refuse(`"${key}" must be an integer from ${min} to ${max}`);
  return value;
}

function text(body: CborMap, key: string): string {
  const value = body[key];
  if (typeof value !== "string") refuse(`"${key}" must be text`);
  return value;
}

function hash(body: CborMap, key: string): Uint8Array {
  const value = body[key];
  if (!(value instanceof Uint8Array) || value.length !== HASH_BYTES) refuse(`"${key}" must be ${HASH_BYTES} bytes`);
  return value;
}

/** The signature domain and body bytes the operator signs. */
export function signedMessage(body: Uint8Array): Uint8Array {
  return concatBytes(utf8Encode(RELEASE_SIGNATURE_DOMAIN), body);
}

/**
 * Checks the signature with the operator's public key (65-byte uncompressed P-256 point), then
 * reads the body. Throws UpdateRefusal (bad_manifest, no_key, bad_signature).
 */
export function verifyManifest(signed: Uint8Array, publicKey: Uint8Array | undefined, primitives: Crypto): Manifest {
  if (signed.length > MAX_MANIFEST_BYTES) refuse(`manifest of ${signed.length} bytes exceeds ${MAX_MANIFEST_BYTES}`);
  const outer = decode(signed, "signed manifest");
  if (outer.v !== MANIFEST_VERSION) refuse(`signed manifest version ${String(outer.v)} is not ${MANIFEST_VERSION}`);
  const { body, sig } = outer;
  if (!(body instanceof Uint8Array)) refuse('"body" must be a byte string');
  if (!(sig instanceof Uint8Array) || sig.length !== 64) refuse('"sig" must be 64 bytes (r || s)');
  if (!publicKey) throw new UpdateRefusal(UpdateReason.noKey, "no operator key in the device configuration (config/updKey)");
  if (!primitives.verifyP256(publicKey, signedMessage(body), sig))
    throw new UpdateRefusal(UpdateReason.badSignature, "signature does not verify with the operator key");
  return { ...parseBody(decode(body, "manifest body")), releaseId: toHex(primitives.sha256(body).subarray(0, 8)), signed };
}

function parseBody(body: CborMap): Omit<Manifest, "releaseId" | "signed"> {
  if (body.v !== MANIFEST_VERSION) refuse(`manifest version ${String(body.v)} is not ${MANIFEST_VERSION}`);
  const kind = KINDS.find((k) => k === body.kind);
  if (!kind) refuse(`"kind" must be one of ${KINDS.join(", ")}`);
  const product = PRODUCTS.find((p) => p === body.prod);
  if (!product) refuse(`"prod" must be one of ${PRODUCTS.join(", ")}`);
  const version = text(body, "ver");
  const minVersion = text(body, "min");
  const parsedVersion = parseVersion(version);
  const parsedMin = parseVersion(minVersion);
  if (!parsedVersion) refuse(`"ver" is not a semantic version: ${JSON.stringify(version)}`);
  if (!parsedMin) refuse(`"min" is not a semantic version: ${JSON.stringify(minVersion)}`);
  if (compareVersions(parsedVersion, parsedMin) < 0) refuse(`"ver" ${version} is below its own "min" ${minVersion}`);
  const chunkSize = uint(body, "chunk", 1, 0xffff);
  if (!CHUNK_SIZES.includes(chunkSize)) refuse(`"chunk" must be one of ${CHUNK_SIZES.join(", ")}`);
  const blockSize = uint(body, "blk", BLOCK_ALIGN, 0x4000000);
  if (blockSize % BLOCK_ALIGN !== 0) refuse(`"blk" must be a multiple of ${BLOCK_ALIGN}`);
  const size = uint(body, "size", 1, blockSize * MAX_BLOCKS);
  let language: string | undefined;
  if (body.lang !== undefined) {
    language = text(body, "lang");
    if (!LANGUAGE.test(language)) refuse(`"lang" is not a language tag: ${JSON.stringify(language)}`);
  }
  if (kind === "voice-pack" && language === undefined) refuse('a voice pack needs "lang"');
  if (kind === "firmware" && language !== undefined) refuse('"lang" is for voice packs');
  const signedAt = body.at === undefined ? undefined : uint(body, "at", 0, Number.MAX_SAFE_INTEGER);
  return { kind, product, version, minVersion, size, sha256: hash(body, "sha"), chunkSize, blockSize, tableSha256: hash(body, "bhs"), language, signedAt };
}
