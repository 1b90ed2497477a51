/** PEM armour (RFC 7468): the DER bytes of the first block, for the device's NVS (Moddable's TLS takes DER). */
export function pemToDer(pem: string): Uint8Array {
  const match = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!match) throw new Error("expected PEM text (-----BEGIN ...-----)");
  return new Uint8Array(Buffer.from(match[2].replace(/\s+/g, ""), "base64"));
}
