/**
 * TLS material as the Moddable transport hands it to the SDK's TLS (hal/moddable/tls-material.ts):
 * PEM or DER in, DER out, and the client key only as PKCS#8, which is all the SDK parses.
 */
import { describe, expect, it } from "@jest/globals";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pkcs8Key, toDer } from "../../hal/moddable/tls-material";
import { TestCa } from "../support/tls-certs";

const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
const bytes = (b: ArrayBuffer) => Buffer.from(b);

describe("TLS material for Moddable", () => {
  it("turns a PEM certificate into exactly its DER, and leaves DER as it is", () => {
    const dir = mkdtempSync(join(tmpdir(), "payterm-der-"));
    try {
      const pem = TestCa.create(dir).ca.cert;
      const der = new X509Certificate(pem).raw;
      expect(bytes(toDer(pem)).equals(der)).toBe(true);
      expect(bytes(toDer(new Uint8Array(der))).equals(der)).toBe(true);
      expect(bytes(toDer(new TextEncoder().encode(pem))).equals(der)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("accepts a PKCS#8 key, PEM or DER", () => {
    const der = ec.export({ format: "der", type: "pkcs8" });
    expect(bytes(pkcs8Key(ec.export({ format: "pem", type: "pkcs8" }) as string)).equals(der)).toBe(true);
    expect(bytes(pkcs8Key(new Uint8Array(der))).equals(der)).toBe(true);
    expect(bytes(pkcs8Key(new Uint8Array(rsa.export({ format: "der", type: "pkcs8" })))).length).toBeGreaterThan(600);
  });

  it.each([
    ["a SEC1 EC key (PEM)", () => ec.export({ format: "pem", type: "sec1" }) as string],
    ["a SEC1 EC key (DER)", () => new Uint8Array(ec.export({ format: "der", type: "sec1" }))],
    ["a PKCS#1 RSA key", () => rsa.export({ format: "pem", type: "pkcs1" }) as string],
  ])("refuses %s, naming the fix", (_what, key) => {
    expect(() => pkcs8Key(key())).toThrow("not PKCS#8 (convert it with openssl pkcs8 -topk8 -nocrypt)");
  });

  it("refuses text that is neither PEM nor DER", () => {
    expect(() => toDer("not a certificate")).toThrow("expected PEM text or DER bytes");
    expect(() => toDer("-----BEGIN CERTIFICATE-----")).toThrow("malformed PEM");
  });
});
