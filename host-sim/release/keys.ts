/**
 * The operator's release key: an ECDSA P-256 key pair (the curve Moddable's crypt verifies; it has
 * no Ed25519). The private key stays with the operator, in PKCS #8 PEM readable by its owner only;
 * devices get the public key as the 65-byte uncompressed point, in NVS config/updKey.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ReleaseKeyFiles {
  privateKeyPath: string;
  publicKeyPath: string;
  /** The uncompressed point in hex, as a file: what provisioning writes to config/updKey. */
  publicHexPath: string;
  publicKeyHex: string;
}

export class ReleaseKeyError extends Error {}

/** Where the simulator keeps its operator key pair (`payterm release sign --key` the .key.pem there). */
export function releaseKeyDir(stateDir: string): string {
  return join(stateDir, "release");
}

export function releaseKeyPaths(dir: string, name = "release"): Omit<ReleaseKeyFiles, "publicKeyHex"> {
  return {
    privateKeyPath: join(dir, `${name}.key.pem`),
    publicKeyPath: join(dir, `${name}.pub.pem`),
    publicHexPath: join(dir, `${name}.pub.hex`),
  };
}

/** Writes a new key pair; refuses to replace an existing private key unless `force`. */
export function generateReleaseKey(dir: string, options: { name?: string; force?: boolean } = {}): ReleaseKeyFiles {
  const paths = releaseKeyPaths(dir, options.name);
  if (existsSync(paths.privateKeyPath) && !options.force)
    throw new ReleaseKeyError(`${paths.privateKeyPath} exists; devices trust its public key, so it is not replaced (pass --force to replace it)`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  writeFileSync(paths.privateKeyPath, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  chmodSync(paths.privateKeyPath, 0o600);
  writeFileSync(paths.publicKeyPath, publicKey.export({ type: "spki", format: "pem" }), { mode: 0o644 });
  const publicKeyHex = Buffer.from(publicPoint(publicKey)).toString("hex");
  writeFileSync(paths.publicHexPath, `${publicKeyHex}\n`, { mode: 0o644 });
  return { ...paths, publicKeyHex };
}

/** The public key (hex) of the pair in `dir`, made the first time. */
export function ensureReleaseKey(dir: string): string {
  const paths = releaseKeyPaths(dir);
  if (existsSync(paths.publicHexPath)) {
    const hex = readFileSync(paths.publicHexPath, "utf8").trim();
    if (!/^04[0-9a-f]{128}$/.test(hex)) throw new ReleaseKeyError(`${paths.publicHexPath} does not hold an uncompressed P-256 point in hex`);
    return hex;
  }
  return generateReleaseKey(dir).publicKeyHex;
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1";
}

/** Reads a PEM private key and checks it is P-256. */
export function loadReleasePrivateKey(path: string): KeyObject {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ReleaseKeyError(`cannot read the release key ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: "pem" });
  } catch (error) {
    throw new ReleaseKeyError(`${path} is not a PEM private key: ${(error as Error).message}`);
  }
  if (!isP256(key)) throw new ReleaseKeyError(`${path} is not an ECDSA P-256 (prime256v1) key`);
  return key;
}

/** The public key as devices hold it: 0x04 || X || Y. */
export function publicPoint(key: KeyObject): Uint8Array {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  if (!isP256(publicKey)) throw new ReleaseKeyError("not an ECDSA P-256 key");
  const jwk = publicKey.export({ format: "jwk" });
  const x = Buffer.from(jwk.x as string, "base64url");
  const y = Buffer.from(jwk.y as string, "base64url");
  return Uint8Array.from([0x04, ...x, ...y]);
}
