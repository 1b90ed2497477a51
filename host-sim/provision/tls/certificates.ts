/**
 * The operator's certificate authority and the certificates it issues, made with @peculiar/x509
 * on Node's WebCrypto.
 *
 * RSA throughout, because of what Moddable's TLS (modules/crypt/ssl) can do on the device: it
 * reads the client key with PKCS8.parse, which handles RSA keys only, and signs CertificateVerify
 * with PKCS#1 v1.5. Client keys are RSA-2048, the CA RSA-3072, signatures SHA-256.
 *
 * Moddable checks the server's name (subjectAltName) only while walking a chain of two or more
 * certificates, so the broker's certificate file holds the server certificate followed by the CA.
 */
// tsyringe, which @peculiar/x509 registers its algorithms with, refuses to load without the
// Reflect metadata API: the reflect-metadata polyfill installs it on the global Reflect.
import "reflect-metadata";
import type * as X509 from "@peculiar/x509";
import { randomBytes, webcrypto } from "node:crypto";
import { isIP } from "node:net";

// Loaded after the polyfill has run: a static import may be evaluated first (jest links CommonJS
// dependencies of an ES module before evaluating it), and tsyringe checks for the API as it loads.
const x509: typeof X509 = await import("@peculiar/x509");

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const subtle = webcrypto.subtle;

function rsa(modulusLength: number): webcrypto.RsaHashedKeyGenParams {
  return { name: "RSASSA-PKCS1-v1_5", modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
}

const LEAF_KEY = rsa(2048);
const CA_KEY = rsa(3072);
const DAY_MS = 86_400_000;

export interface CertificateAuthority {
  certificate: X509.X509Certificate;
  privateKey: CryptoKey;
}

export interface IssuedCertificate {
  certificatePem: string;
  /** PKCS#8, PEM. */
  privateKeyPem: string;
}

export class CaError extends Error {}

/** A positive 128-bit serial number, as RFC 5280 asks (at most 20 octets, never negative). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  return bytes.toString("hex");
}

function pkcs8Pem(der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

/** Validity starts a day early so a device whose clock is slightly behind still accepts it. */
function validity(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now.getTime() - DAY_MS), notAfter: new Date(now.getTime() + days * DAY_MS) };
}

export async function generateCa(commonName: string, now: Date, days = 20 * 365): Promise<{ ca: CertificateAuthority; privateKeyPem: string }> {
  const keys = (await subtle.generateKey(CA_KEY, true, ["sign", "verify"])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: new x509.Name([{ CN: [commonName] }]),
    ...validity(now, days),
    keys,
    signingAlgorithm: CA_KEY,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { ca: { certificate, privateKey: keys.privateKey }, privateKeyPem: pkcs8Pem(await subtle.exportKey("pkcs8", keys.privateKey)) };
}

/** An operator CA from its certificate and PKCS#8 key (PEM); the key must belong to the certificate. */
export async function loadCa(certificatePem: string, privateKeyPem: string): Promise<CertificateAuthority> {
  let certificate: X509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(certificatePem);
  } catch (error) {
    throw new CaError(`the CA certificate is not a PEM X.509 certificate (${(error as Error).message})`);
  }
  if (!certificate.getExtension(x509.BasicConstraintsExtension)?.ca) throw new CaError(`${certificate.subject} is not a CA certificate (basicConstraints CA is not set)`);
  const algorithm = certificate.publicKey.algorithm as webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  const signing =
    algorithm.name === "ECDSA" ? { name: "ECDSA", namedCurve: (algorithm as webcrypto.EcKeyImportParams).namedCurve } : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  let privateKey: CryptoKey;
  try {
    const der = x509.PemConverter.decodeFirst(privateKeyPem);
    privateKey = await subtle.importKey("pkcs8", der, signing, false, ["sign"]);
  } catch (error) {
    throw new CaError(`the CA key is not an unencrypted PKCS#8 PEM key for a ${algorithm.name} certificate (${(error as Error).message})`);
  }
  const probe = randomBytes(32);
  const params = algorithm.name === "ECDSA" ? { name: "ECDSA", hash: "SHA-256" } : signing;
  const signature = await subtle.sign(params, privateKey, probe);
  const publicKey = await certificate.publicKey.export(signing, ["verify"]);
  if (!(await subtle.verify(params, publicKey, signature, probe))) throw new CaError(`the CA key does not belong to ${certificate.subject}`);
  return { certificate, privateKey };
}

function signingAlgorithm(ca: CertificateAuthority): webcrypto.Algorithm {
  return ca.privateKey.algorithm.name === "ECDSA" ? ({ name: "ECDSA", hash: "SHA-256" } as webcrypto.Algorithm) : ca.privateKey.algorithm;
}

async function issue(ca: CertificateAuthority, commonName: string, now: Date, days: number, extensions: X509.Extension[]): Promise<IssuedCertificate> {
  const keys = (await subtle.generateKey(LEAF_KEY, true, ["sign", "verify"])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: new x509.Name([{ CN: [commonName] }]),
    issuer: ca.certificate.subjectName,
    ...validity(now, days),
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: signingAlgorithm(ca),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
      ...extensions,
    ],
  });
  return { certificatePem: certificate.toString("pem"), privateKeyPem: pkcs8Pem(await subtle.exportKey("pkcs8", keys.privateKey)) };
}

/** A client certificate whose common name is the MQTT username (mosquitto's use_identity_as_username). */
export function issueClientCertificate(ca: CertificateAuthority, commonName: string, now: Date, days: number): Promise<IssuedCertificate> {
  return issue(ca, commonName, now, days, [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
}

/** A broker certificate for host names and IPv4/IPv6 addresses. */
export function issueServerCertificate(ca: CertificateAuthority, names: readonly string[], now: Date, days: number): Promise<IssuedCertificate> {
  if (names.length === 0) throw new CaError("a server certificate needs at least one host name or address");
  return issue(ca, names[0], now, days, [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(names.map((name) => ({ type: isIP(name) ? "ip" : "dns", value: name }))),
  ]);
}

export function certificateOf(pem: string): X509.X509Certificate {
  return new x509.X509Certificate(pem);
}

/** Whether `pem` was signed by the CA's key. */
export async function issuedBy(pem: string, ca: X509.X509Certificate): Promise<boolean> {
  try {
    return await new x509.X509Certificate(pem).verify({ publicKey: ca.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}
