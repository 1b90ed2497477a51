/// <reference path="./crypt.d.ts" />
/**
 * SHA-256, HMAC-SHA-256, ECDSA P-256 verification and random bytes on Moddable's crypt library.
 * Needs: "crypt" ($(MODULES)/crypt/digest), "hmac", "ecdsa", "curve", "ecp", "rng" and what they
 * import ("bin", "ber", "pkcs1", "mont", "ec", "modular"; $(MODULES)/crypt/etc and arith).
 */
import { Digest } from "crypt";
import HMAC from "hmac";
import ECDSA from "ecdsa";
import Curve from "curve";
import ECPoint from "ecp";
import RNG from "rng";
import type { Crypto, Sha256Stream } from "../crypto";

/** SEC 2 section 2.4.2, secp256r1. */
const P256 = Object.freeze({
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  fieldBytes: 32,
});

export class CryptCrypto implements Crypto {
  readonly #sha256 = new Digest("SHA256");
  readonly #hmacDigest = new Digest("SHA256");
  readonly #curve = new Curve("secp256r1");
  /** Verifiers for the last few public keys (there are one or two live keys at a time). */
  readonly #verifiers = new Map<string, ECDSA | null>();

  sha256(data: Uint8Array): Uint8Array {
    const digest = this.#sha256;
    digest.reset();
    digest.write(toArrayBuffer(data));
    return new Uint8Array(digest.close());
  }

  createSha256(): Sha256Stream {
    // Its own Digest: a stream lives across many turns while sha256() reuses the shared one.
    const digest = new Digest("SHA256");
    return {
      update: (data) => digest.write(toArrayBuffer(data)),
      digest: () => new Uint8Array(digest.close()),
    };
  }

  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    // HMAC resets the digest it is given before use, so one digest serves every MAC.
    const hmac = new HMAC(this.#hmacDigest, toArrayBuffer(key));
    return new Uint8Array(hmac.process(toArrayBuffer(data)));
  }

  verifyP256(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== 2 * P256.fieldBytes) return false;
    const r = toBigInt(signature, 0, P256.fieldBytes);
    const s = toBigInt(signature, P256.fieldBytes, P256.fieldBytes);
    // SEC 1 section 4.1.4 step 1: r and s in [1, n-1]. The library does not check.
    if (r === 0n || s === 0n || r >= P256.n || s >= P256.n) return false;
    const verifier = this.#verifier(publicKey);
    if (!verifier) return false;
    const hash = this.sha256(message);
    try {
      return verifier.verify(toArrayBuffer(hash), toArrayBuffer(signature));
    } catch {
      return false;
    }
  }

  randomBytes(count: number): Uint8Array {
    return new Uint8Array(RNG.get(count));
  }

  #verifier(publicKey: Uint8Array): ECDSA | null {
    const id = hex(publicKey);
    let verifier = this.#verifiers.get(id);
    if (verifier !== undefined) return verifier;
    verifier = isP256Point(publicKey) ? new ECDSA(ECPoint.fromOctetString(publicKey), this.#curve) : null;
    if (this.#verifiers.size >= 4) this.#verifiers.clear();
    this.#verifiers.set(id, verifier);
    return verifier;
  }
}

/** Uncompressed SEC1 point (0x04 || X || Y) on secp256r1: y^2 = x^3 + ax + b (mod p). */
function isP256Point(key: Uint8Array): boolean {
  if (key.length !== 1 + 2 * P256.fieldBytes || key[0] !== 0x04) return false;
  const { p, a, b } = P256;
  const x = toBigInt(key, 1, P256.fieldBytes);
  const y = toBigInt(key, 1 + P256.fieldBytes, P256.fieldBytes);
  if (x >= p || y >= p) return false;
  return (y * y) % p === (((x * x) % p) * x + a * x + b) % p;
}

function toBigInt(bytes: Uint8Array, offset: number, length: number): bigint {
  let value = 0n;
  for (let i = offset; i < offset + length; i++) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return out;
}

/** crypt takes ArrayBuffers: the view's own buffer when it covers it, else a copy. */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const { buffer } = bytes;
  if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) return buffer;
  return bytes.slice().buffer;
}
