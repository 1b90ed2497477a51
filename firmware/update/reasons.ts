/**
 * Why an update was refused or failed, as the `rc` field of the update state message says it
 * (docs/protocol.md). New codes are added; none is reused for another meaning.
 */
export const UpdateReason = {
  /** The manifest is not CBOR, misses a field, or has one out of range. */
  badManifest: "bad_manifest",
  /** The device has no operator key to check signatures with. */
  noKey: "no_key",
  /** The signature does not verify with the operator's key. */
  badSignature: "bad_signature",
  /** Made for another product. */
  wrongProduct: "wrong_product",
  /** This device cannot take this kind of update (no voice-pack storage). */
  unsupported: "unsupported",
  /** Larger than the slot it would go to. */
  tooLarge: "too_large",
  /** The same version is already running or installed. */
  current: "current",
  /** Older than what runs, and the device's policy does not allow going back. */
  downgrade: "downgrade",
  /** Older than the lowest version a confirmed release allowed. */
  belowFloor: "below_floor",
  /** Another update is on trial; it must confirm or roll back first. */
  busy: "busy",
  /** Writing or reading the slot failed. */
  storage: "storage",
  /** The block table does not match the manifest. */
  badTable: "bad_table",
  /** A block kept failing its hash after retries. */
  hashMismatch: "hash_mismatch",
  /** The whole slot, read back, does not hash to the manifest's SHA-256. */
  imageMismatch: "image_mismatch",
  /** A voice pack that is not a whole pack for its release: bad format, wrong language or version, a clip that fails its hash. */
  badPack: "bad_pack",
  /** The platform refused to boot the image. */
  activateFailed: "activate_failed",
  /** The release server stopped answering. */
  timeout: "timeout",
  /** The server does not know this release. */
  unknownRelease: "unknown_release",
  /** A newer offer replaced this one. */
  superseded: "superseded",
  /** The new image did not confirm it was healthy within its boots; the previous one runs. */
  rolledBack: "rolled_back",
} as const;

export type UpdateReasonCode = (typeof UpdateReason)[keyof typeof UpdateReason];

export class UpdateRefusal extends Error {
  constructor(readonly code: UpdateReasonCode, message: string) {
    super(message);
    this.name = "UpdateRefusal";
  }
}
