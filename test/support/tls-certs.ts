/**
 * Throwaway TLS material for tests, made with the openssl command line: a CA, a server
 * certificate for 127.0.0.1 and localhost, and client certificates whose common name is the MQTT
 * identity (a device id). ECDSA P-256 throughout, which the ESP32's TLS 1.2 stack also speaks.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Pem {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function read(dir: string, name: string): Pem {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), certFile, keyFile };
}

export class TestCa {
  private constructor(readonly dir: string, readonly name: string, readonly ca: Pem) {}

  /** A self-signed CA valid for a day, its files in `dir`. */
  static create(dir: string, name = "payterm-test-ca"): TestCa {
    openssl(["req", "-x509", ...EC, "-days", "1", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.crt`], dir);
    return new TestCa(dir, name, read(dir, name));
  }

  /** A leaf certificate signed by this CA; `altNames` ("IP:127.0.0.1", "DNS:localhost") make it a server certificate. */
  issue(commonName: string, altNames: string[] = []): Pem {
    const name = `${this.name}-${commonName}`;
    const ext = join(this.dir, `${name}.ext`);
    const usage = altNames.length > 0 ? "serverAuth" : "clientAuth";
    writeFileSync(ext, `basicConstraints=CA:FALSE\nextendedKeyUsage=${usage}\n${altNames.length > 0 ? `subjectAltName=${altNames.join(",")}\n` : ""}`);
    openssl(["req", "-new", ...EC, "-subj", `/CN=${commonName}`, "-keyout", `${name}.key`, "-out", `${name}.csr`], this.dir);
    openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", this.ca.certFile, "-CAkey", this.ca.keyFile, "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", `${name}.crt`], this.dir);
    return read(this.dir, name);
  }
}
