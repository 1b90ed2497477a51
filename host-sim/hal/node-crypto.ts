import { createHash, createHmac, createPublicKey, randomBytes, verify } from "node:crypto";
import type { Crypto } from "../../hal/crypto";

function p256Key(publicKey: Uint8Array) {
  // SPKI prefix for an uncompressed P-256 point (RFC 5480): SEQUENCE { algorithm, BIT STRING }.
  const prefix = Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex");
  return createPublicKey({ key: Buffer.concat([prefix, publicKey]), format: "der", type: "spki" });
}

export const nodeCrypto: Crypto = {
  sha256: (data) => new Uint8Array(createHash("sha256").update(data).digest()),
  createSha256() {
    const hash = createHash("sha256");
    return {
      update: (data) => {
        hash.update(data);
      },
      digest: () => new Uint8Array(hash.digest()),
    };
  },
  hmacSha256: (key, data) => new Uint8Array(createHmac("sha256", key).update(data).digest()),
  verifyP256(publicKey, message, signature) {
    if (publicKey.length !== 65 || publicKey[0] !== 4 || signature.length !== 64) return false;
    try {
      return verify("sha256", message, { key: p256Key(publicKey), dsaEncoding: "ieee-p1363" }, signature);
    } catch {
      return false;
    }
  },
  randomBytes: (count) => new Uint8Array(randomBytes(count)),
};
