/**
 * Declarations for the parts of Moddable's crypt library that the device HAL uses and that
 * neither @moddable/typings nor the SDK's own typings declare: "hmac", "ecdsa", "curve", "ecp"
 * and "rng" (modules/crypt/etc and modules/crypt/arith in the Moddable SDK).
 * Written from the SDK's documentation (documentation/crypt/crypt.md) and the modules' sources.
 *
 * crypto.ts pulls this file in with a triple-slash reference so that it is part of the
 * program both under `tsc -p tsconfig.device.json` and under mcconfig's per-module tsc run.
 * The "crypt" module itself (Digest) is declared separately, in crypt-digest.d.ts, because the
 * SDK's typings already declare it and a second declaration would collide under mcconfig.
 */

declare module "hmac" {
  /** The part of a crypt Digest that HMAC drives. */
  interface HmacDigest {
    readonly blockSize: number;
    write(message: string | ArrayBuffer): void;
    close(): ArrayBuffer;
    reset(): void;
  }

  /** RFC 2104 HMAC over any crypt Digest: `new HMAC(new Digest("SHA256"), key)`. */
  export default class HMAC {
    constructor(digest: HmacDigest, key: ArrayBuffer, bitLength?: number);
    /** Restarts with the same key. */
    reset(): void;
    /** Adds message parts. */
    update(...parts: ArrayBuffer[]): void;
    /** The MAC of everything passed to `update` since the last reset. */
    close(): ArrayBuffer;
    /** reset(), update(...parts), close() in one call. */
    process(...parts: ArrayBuffer[]): ArrayBuffer;
  }
}

declare module "ecp" {
  /** A point on an elliptic curve, coordinates as BigInt. */
  export default class ECPoint {
    constructor(x: bigint, y: bigint, identity?: boolean);
    readonly X: bigint;
    readonly Y: bigint;
    isZero(): boolean;
    /** Parses an uncompressed SEC1 point (0x04 || X || Y); throws for other formats. */
    static fromOctetString(octets: Uint8Array): ECPoint;
  }
}

declare module "curve" {
  import type ECPoint from "ecp";

  export type CurveName = "secp256r1" | "secp384r1";

  export default class Curve {
    constructor(name: CurveName);
    readonly G: ECPoint;
    /** The group order. */
    readonly n: bigint;
    /** Bytes in a scalar (32 for secp256r1). */
    readonly orderSize: number;
  }
}

declare module "ecdsa" {
  import type Curve from "curve";
  import type ECPoint from "ecp";

  export default class ECDSA {
    /** For verification `key` is the public point. */
    constructor(key: ECPoint, curve: Curve);
    /**
     * `hash` is the message digest; `signature` is r || s (orderSize bytes each) or, when
     * `asn1` is true, a DER SEQUENCE of two INTEGERs.
     */
    verify(hash: ArrayBuffer, signature: ArrayBuffer, asn1?: boolean): boolean;
  }
}

declare module "rng" {
  const RNG: {
    /** `count` random bytes from the platform's generator (esp_fill_random on ESP32). */
    get(count: number): ArrayBuffer;
  };
  export default RNG;
}
