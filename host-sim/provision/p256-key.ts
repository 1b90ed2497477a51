/**
 * Public keys the firmware checks signatures with, as it stores them: the 65-byte uncompressed
 * P-256 point (0x04, X, Y). Given as hex (what `payterm release keygen` writes to release.pub.hex)
 * or as a PEM public key; the point must lie on the curve, which Node's key import checks.
 */
import { createPublicKey } from "node:crypto";

export function readP256PublicKey(text: string, what: string): Uint8Array {
  const trimmed = text.trim();
  let x: Buffer;
  let y: Buffer;
  try {
    if (trimmed.startsWith("-----BEGIN")) {
      const jwk = createPublicKey(trimmed).export({ format: "jwk" });
      if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.x || !jwk.y) throw new Error("not a P-256 public key");
      x = Buffer.from(jwk.x, "base64url");
      y = Buffer.from(jwk.y, "base64url");
    } else {
      if (!/^(0x)?04[0-9a-fA-F]{128}$/.test(trimmed)) throw new Error("expected 130 hex digits starting 04 (an uncompressed P-256 point) or a PEM public key");
      const bytes = Buffer.from(trimmed.replace(/^0x/, ""), "hex");
      x = bytes.subarray(1, 33);
      y = bytes.subarray(33, 65);
      try {
        createPublicKey({ key: { kty: "EC", crv: "P-256", x: x.toString("base64url"), y: y.toString("base64url") }, format: "jwk" });
      } catch {
        throw new Error("the point is not on the P-256 curve");
      }
    }
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
  return new Uint8Array(Buffer.concat([Buffer.from([0x04]), x, y]));
}
