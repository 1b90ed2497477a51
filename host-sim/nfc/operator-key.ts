/**
 * The simulator's operator key for NFC provisioning tags: an ECDSA P-256 pair kept in
 * `<stateDir>/nfc/` (the private key as PKCS #8 PEM, readable by its owner only). QR displays get
 * the public point as their config's operator key; `Simulator.placeTag(id, "provisioning")`
 * signs a tag with the private one.
 */
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { operatorKeyPair, type OperatorKeyPair } from "./provisioning-writer";

export function provisioningKeyPath(stateDir: string): string {
  return join(stateDir, "nfc", "provisioning.key.pem");
}

/** The pair in `stateDir`, made the first time. */
export function ensureProvisioningKey(stateDir: string): OperatorKeyPair & { publicKeyHex: string } {
  const path = provisioningKeyPath(stateDir);
  if (!existsSync(path)) {
    mkdirSync(join(stateDir, "nfc"), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    writeFileSync(path, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return loadProvisioningKey(path);
}

/** A P-256 private key from a PEM file (PKCS #8 or SEC 1), with its public point. */
export function loadProvisioningKey(path: string): OperatorKeyPair & { publicKeyHex: string } {
  let key;
  try {
    key = createPrivateKey(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: not a readable PEM private key (${(error as Error).message})`);
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") throw new Error(`${path} is not a P-256 private key`);
  const d = key.export({ format: "jwk" }).d;
  if (!d) throw new Error(`${path} holds no private scalar`);
  const pair = operatorKeyPair(new Uint8Array(Buffer.from(d, "base64url")));
  return { ...pair, publicKeyHex: Buffer.from(pair.publicKey).toString("hex") };
}
