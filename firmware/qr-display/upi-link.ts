/**
 * UPI deep links (upi://pay?...) for the merchant's static QR. Values are percent-encoded as
 * NPCI's examples show: unreserved characters and '@' stay literal, a space is %20.
 */
import { utf8Encode } from "../protocol/bytes";

const LITERAL = /[A-Za-z0-9\-._~@]/;

export function upiEncode(value: string): string {
  let out = "";
  for (const char of value) {
    if (LITERAL.test(char)) {
      out += char;
      continue;
    }
    for (const byte of utf8Encode(char)) out += `%${byte < 16 ? "0" : ""}${byte.toString(16).toUpperCase()}`;
  }
  return out;
}

export interface StaticUpiQr {
  /** Payee VPA, e.g. "merchant@bank". */
  pa: string;
  /** Payee name. */
  pn: string;
  /** Merchant category code. */
  mc?: string;
}

const VPA = /^[A-Za-z0-9._-]{2,256}@[A-Za-z0-9.-]{2,64}$/;

export function staticUpiLink(q: StaticUpiQr): string {
  if (!VPA.test(q.pa)) throw new Error(`payee VPA ${JSON.stringify(q.pa)} is not of the form name@handle`);
  if (q.pn.length === 0 || q.pn.length > 99) throw new Error("payee name must be 1 to 99 characters");
  const params = [`pa=${upiEncode(q.pa)}`, `pn=${upiEncode(q.pn)}`];
  if (q.mc !== undefined) {
    if (!/^\d{4}$/.test(q.mc)) throw new Error(`merchant category code must be 4 digits, got ${JSON.stringify(q.mc)}`);
    params.push(`mc=${q.mc}`);
  }
  params.push("cu=INR");
  return `upi://pay?${params.join("&")}`;
}
