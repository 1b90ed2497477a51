/**
 * Making a release: the block table and the signed manifest of docs/protocol.md ("Updates"),
 * signed with the operator's P-256 key by OpenSSL (node:crypto). The result is read back with
 * the firmware's own verifier before it is handed out, so a manifest the devices would refuse
 * never leaves this function.
 */
import { createHash, sign, type KeyObject } from "node:crypto";
import type { Product } from "../../hal/system";
import { encodeCbor, type CborMap } from "../../firmware/protocol/cbor";
import { BLOCK_ALIGN, CHUNK_SIZES, MAX_BLOCKS, MANIFEST_VERSION, signedMessage, verifyManifest, type Manifest, type UpdateKind } from "../../firmware/update/manifest";
import { nodeCrypto } from "../hal/node-crypto";
import { publicPoint } from "./keys";

export const DEFAULT_CHUNK_SIZE = 2048;
/** Blocks are at least this large, so small images still have few table entries to fetch. */
const MIN_BLOCK_SIZE = 64 * 1024;

export interface ReleaseInput {
  image: Uint8Array;
  kind: UpdateKind;
  product: Product;
  version: string;
  minVersion: string;
  language?: string;
  chunkSize?: number;
  signedAt?: number;
}

export interface SignedRelease {
  manifest: Manifest;
  /** The block table the devices fetch first: SHA-256 of each block, in order. */
  table: Uint8Array;
  image: Uint8Array;
}

export class ReleaseError extends Error {}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** The smallest sector-aligned block size at or above 64 KiB that keeps the table within MAX_BLOCKS. */
export function blockSizeFor(size: number): number {
  const needed = Math.ceil(size / MAX_BLOCKS);
  return Math.max(MIN_BLOCK_SIZE, Math.ceil(needed / BLOCK_ALIGN) * BLOCK_ALIGN);
}

export function blockTable(image: Uint8Array, blockSize: number): Uint8Array {
  const blocks = Math.ceil(image.length / blockSize);
  const table = new Uint8Array(blocks * 32);
  for (let i = 0; i < blocks; i++) table.set(sha256(image.subarray(i * blockSize, (i + 1) * blockSize)), i * 32);
  return table;
}

export function signRelease(input: ReleaseInput, privateKey: KeyObject): SignedRelease {
  const chunkSize = input.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!CHUNK_SIZES.includes(chunkSize)) throw new ReleaseError(`chunk size must be one of ${CHUNK_SIZES.join(", ")}, got ${chunkSize}`);
  if (input.image.length === 0) throw new ReleaseError("the image is empty");
  const blockSize = blockSizeFor(input.image.length);
  const table = blockTable(input.image, blockSize);
  const body: CborMap = {
    v: MANIFEST_VERSION,
    kind: input.kind,
    prod: input.product,
    ver: input.version,
    min: input.minVersion,
    size: input.image.length,
    sha: sha256(input.image),
    chunk: chunkSize,
    blk: blockSize,
    bhs: sha256(table),
  };
  if (input.language !== undefined) body.lang = input.language;
  body.at = input.signedAt ?? Date.now();
  const bodyBytes = encodeCbor(body);
  const signature = new Uint8Array(sign("sha256", signedMessage(bodyBytes), { key: privateKey, dsaEncoding: "ieee-p1363" }));
  const signed = encodeCbor({ v: MANIFEST_VERSION, body: bodyBytes, sig: signature });
  let manifest: Manifest;
  try {
    manifest = verifyManifest(signed, publicPoint(privateKey), nodeCrypto);
  } catch (error) {
    // The firmware's rules on versions, sizes and languages, said once, where they are enforced.
    throw new ReleaseError(`the device would refuse this release: ${(error as Error).message}`);
  }
  return { manifest, table, image: input.image };
}

/**
 * Pairs a signed manifest with its image, checking the signature with the operator's public key
 * (the point devices hold): a release the fleet would refuse is not served. Throws ReleaseError.
 */
export function openRelease(signed: Uint8Array, image: Uint8Array, publicKey: Uint8Array): SignedRelease {
  let manifest: Manifest;
  try {
    manifest = verifyManifest(signed, publicKey, nodeCrypto);
  } catch (error) {
    throw new ReleaseError(`the manifest does not verify: ${(error as Error).message}`);
  }
  if (image.length !== manifest.size) throw new ReleaseError(`the image has ${image.length} bytes, the manifest says ${manifest.size}`);
  if (Buffer.compare(Buffer.from(sha256(image)), Buffer.from(manifest.sha256)) !== 0) throw new ReleaseError("the image's SHA-256 is not the manifest's");
  const table = blockTable(image, manifest.blockSize);
  if (Buffer.compare(Buffer.from(sha256(table)), Buffer.from(manifest.tableSha256)) !== 0) throw new ReleaseError("the image's block table does not match the manifest");
  return { manifest, table, image };
}
