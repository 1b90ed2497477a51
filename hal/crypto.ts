/** SHA-256 over data given in parts (Moddable's Digest write/close), for images too large to hold. */
export interface Sha256Stream {
  update(data: Uint8Array): void;
  /** The digest of everything given; the stream is finished after this. */
  digest(): Uint8Array;
}

/** The primitives Moddable's `crypt` module offers and the firmware needs. */
export interface Crypto {
  sha256(data: Uint8Array): Uint8Array;
  createSha256(): Sha256Stream;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * ECDSA P-256 over SHA-256(message). `publicKey` is the uncompressed SEC1 point (65 bytes),
   * `signature` is r || s (64 bytes). Never throws for a malformed signature: returns false.
   */
  verifyP256(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  randomBytes(count: number): Uint8Array;
}
