import { p256 } from "@noble/curves/nist.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { Crypto, Sha256Stream } from "../crypto";

/**
 * xoshiro128** seeded through splitmix32: a small, fast, reproducible generator. Not for keys:
 * it exists so that tests (backoff jitter, nonces) give the same numbers on every run.
 */
export class SeededRandom {
  readonly #s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  fill(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 4) {
      const word = this.nextUint32();
      for (let k = 0; k < 4 && i + k < out.length; k++) out[i + k] = (word >>> (8 * k)) & 0xff;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** P-256 public keys in the contract's form: SEC1 uncompressed, 0x04 || X || Y. */
const UNCOMPRESSED_P256_KEY_BYTES = 65;
const P256_SIGNATURE_BYTES = 64;

/**
 * The crypt primitives in JavaScript (@noble/hashes, @noble/curves), for the simulator and for
 * tests on XS and Node. Randomness is deterministic from `seed`.
 */
export class SoftCrypto implements Crypto {
  readonly #random: SeededRandom;

  constructor(seed = 1) {
    this.#random = new SeededRandom(seed);
  }

  sha256(data: Uint8Array): Uint8Array {
    return sha256(data);
  }

  createSha256(): Sha256Stream {
    const hash = sha256.create();
    return {
      update: (data) => {
        hash.update(data);
      },
      digest: () => hash.digest(),
    };
  }

  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    return hmac(sha256, key, data);
  }

  /**
   * ECDSA as Moddable's crypt and standard verifiers do it: SHA-256 of the message, either S
   * (no low-S rule, which noble applies by default). Only uncompressed keys and r || s signatures.
   */
  verifyP256(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (publicKey.length !== UNCOMPRESSED_P256_KEY_BYTES || publicKey[0] !== 0x04) return false;
    if (signature.length !== P256_SIGNATURE_BYTES) return false;
    try {
      return p256.verify(signature, message, publicKey, { prehash: true, lowS: false, format: "compact" });
    } catch {
      return false;
    }
  }

  randomBytes(count: number): Uint8Array {
    return this.#random.fill(new Uint8Array(count));
  }
}
