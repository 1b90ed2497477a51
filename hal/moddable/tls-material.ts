/**
 * TLS material in the form Moddable's TLS takes it (see the TLS notes in mqtt.ts): DER in
 * ArrayBuffers, and the client key as PKCS#8. Certificates and keys arrive from the device config
 * as PEM text, as DER bytes, or as PEM text stored as bytes. Plain functions, no Moddable modules,
 * so they are tested on Node.
 */

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const SEQUENCE = 0x30;

function decodeBase64(text: string): ArrayBuffer {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = BASE64.indexOf(text[i]);
    if (digit < 0) continue; // whitespace, line breaks, padding
    value = ((value << 6) | digit) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = (value >> bits) & 0xff;
    }
  }
  return out.slice(0, length).buffer;
}

function ascii(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

/** DER of the first PEM block, or the bytes themselves when they are DER already. */
export function toDer(value: Uint8Array | string): ArrayBuffer {
  if (typeof value !== "string") {
    if (value[0] === SEQUENCE) return value.slice().buffer;
    value = ascii(value);
  }
  const begin = value.indexOf("-----BEGIN ");
  if (begin < 0) throw new Error("TLS material: expected PEM text or DER bytes");
  const bodyStart = value.indexOf("\n", begin) + 1;
  const bodyEnd = value.indexOf("-----END", bodyStart);
  if (bodyStart <= 0 || bodyEnd < 0) throw new Error("TLS material: malformed PEM");
  return decodeBase64(value.slice(bodyStart, bodyEnd));
}

/**
 * The client key as the SDK reads it: PKCS#8 PrivateKeyInfo, a SEQUENCE whose first elements are
 * INTEGER 0 and the algorithm's SEQUENCE. A SEC1 key ("EC PRIVATE KEY") starts with INTEGER 1, a
 * PKCS#1 RSA key with INTEGER 0 and then another INTEGER: both are refused with the fix.
 */
export function pkcs8Key(value: Uint8Array | string): ArrayBuffer {
  const der = toDer(value);
  const bytes = new Uint8Array(der);
  let at = 1;
  if (bytes[0] !== SEQUENCE || bytes.length < 8) throw new Error("TLS client key: not DER");
  at += bytes[at] & 0x80 ? 1 + (bytes[at] & 0x7f) : 1;
  const isPkcs8 = bytes[at] === 0x02 && bytes[at + 1] === 0x01 && bytes[at + 2] === 0 && bytes[at + 3] === SEQUENCE;
  if (!isPkcs8) throw new Error("TLS client key: not PKCS#8 (convert it with openssl pkcs8 -topk8 -nocrypt)");
  return der;
}
