/**
 * A technician's provisioning tag: one NDEF record of the external type "payterm.dev:provision"
 * that sets a QR display's Wi-Fi, broker and merchant binding on a tap, if and only if the
 * operator signed it for this device (docs/nfc.md, "Provisioning tags").
 *
 *   payload  CBOR {v: 1, body: bstr, sig: bstr(64)}
 *   sig      ECDSA P-256 over SHA-256("payterm/v1/provision" || 0x00 || body), r || s, by the
 *            operator key whose public half is in the device config ("opKey")
 *   body     CBOR {v: 1, dev, seq, exp, wifi?: {ssid, psk}, broker?: {host, port, tls},
 *                  merchant?: {vpa, name}}
 *
 * `dev` binds the tag to one device, `exp` (ms since the epoch) bounds its life, and `seq` must
 * exceed the last one applied, so an old tag cannot roll a device back. Nothing in the body is
 * looked at before the signature checks out.
 */
import type { Crypto } from "../../hal/crypto";
import type { KeyValueStore } from "../../hal/kv";
import { concatBytes, utf8Encode } from "../protocol/bytes";
import { CborError, decodeCbor, isCborMap, type CborMap, type CborValue } from "../protocol/cbor";
import { buildUpi } from "../qr/upi";
import { isWpa2Passphrase, ssidProblem, WIFI_KEYS } from "../wifi-settings";
import { isExternal, type NdefRecord } from "./ndef";

export const PROVISIONING_RECORD_TYPE = "payterm.dev:provision";
export const PROVISIONING_SIGNATURE_DOMAIN = "payterm/v1/provision\0";
const DOMAIN_BYTES = utf8Encode(PROVISIONING_SIGNATURE_DOMAIN);

/** Where the last applied sequence number is kept. */
export const NFC_DOMAIN = "nfc";
export const LAST_SEQ_KEY = "provSeq";

export interface ProvisioningSettings {
  seq: number;
  wifi?: { ssid: string; psk: string };
  broker?: { host: string; port: number; tls: boolean };
  merchant?: { vpa: string; name: string };
}

export type ProvisioningRefusal = "malformed" | "unsigned" | "no-operator-key" | "bad-signature" | "wrong-device" | "expired" | "replayed" | "empty";

export class ProvisioningError extends Error {
  constructor(
    readonly reason: ProvisioningRefusal,
    message: string,
  ) {
    super(message);
    this.name = "ProvisioningError";
  }
}

export interface ProvisioningContext {
  crypto: Crypto;
  operatorKey: Uint8Array | undefined;
  deviceId: string;
  /** Wall time, ms since the epoch. */
  now: number;
  /** The last sequence number applied on this device (0 if none). */
  lastSeq: number;
}

export function findProvisioningRecord(records: readonly NdefRecord[]): NdefRecord | undefined {
  return records.find((record) => isExternal(record, PROVISIONING_RECORD_TYPE));
}

/** The bytes the operator signs. */
export function provisioningSigningInput(body: Uint8Array): Uint8Array {
  return concatBytes(DOMAIN_BYTES, body);
}

function refuse(reason: ProvisioningRefusal, message: string): never {
  throw new ProvisioningError(reason, message);
}

function cbor(bytes: Uint8Array, what: string): CborMap {
  let value: CborValue;
  try {
    value = decodeCbor(bytes);
  } catch (error) {
    if (error instanceof CborError) refuse("malformed", `${what} is not CBOR: ${error.message}`);
    throw error;
  }
  if (!isCborMap(value)) refuse("malformed", `${what} is not a CBOR map`);
  return value;
}

/** Checks the record's signature, binding and freshness, then its settings; throws ProvisioningError. */
export function verifyProvisioning(record: NdefRecord, context: ProvisioningContext): ProvisioningSettings {
  const outer = cbor(record.payload, "provisioning record");
  if (outer.v !== 1) refuse("malformed", `provisioning record version ${String(outer.v)} is not 1`);
  const { body, sig } = outer;
  if (!(body instanceof Uint8Array)) refuse("malformed", '"body" must be a byte string');
  if (sig === undefined) refuse("unsigned", "the provisioning record carries no signature");
  if (!(sig instanceof Uint8Array) || sig.length !== 64) refuse("malformed", '"sig" must be 64 bytes (r || s)');
  if (!context.operatorKey) refuse("no-operator-key", "no operator key is configured (config opKey): signed tags cannot be checked");
  if (!context.crypto.verifyP256(context.operatorKey, provisioningSigningInput(body), sig))
    refuse("bad-signature", "the signature does not verify with the operator key");

  const fields = cbor(body, "provisioning body");
  if (fields.v !== 1) refuse("malformed", `provisioning body version ${String(fields.v)} is not 1`);
  if (fields.dev !== context.deviceId) refuse("wrong-device", `the tag is for device ${JSON.stringify(fields.dev)}, this is ${context.deviceId}`);
  const exp = fields.exp;
  if (typeof exp !== "number" || !Number.isSafeInteger(exp)) refuse("malformed", '"exp" must be an integer (ms since the epoch)');
  if (exp <= context.now) refuse("expired", `the tag expired at ${exp}, it is now ${context.now}`);
  const seq = fields.seq;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1 || seq > 0x7fffffff) refuse("malformed", '"seq" must be an integer from 1 to 2^31 - 1');
  if (seq <= context.lastSeq) refuse("replayed", `sequence ${seq} is not after the last one applied (${context.lastSeq})`);

  const settings: ProvisioningSettings = { seq };
  if (fields.wifi !== undefined) settings.wifi = wifi(fields.wifi);
  if (fields.broker !== undefined) settings.broker = broker(fields.broker);
  if (fields.merchant !== undefined) settings.merchant = merchant(fields.merchant);
  if (!settings.wifi && !settings.broker && !settings.merchant) refuse("empty", "the tag sets nothing (no wifi, broker or merchant)");
  return settings;
}

function map(value: CborValue, what: string): CborMap {
  if (!isCborMap(value)) refuse("malformed", `"${what}" must be a map`);
  return value;
}

function text(value: CborValue, what: string, min: number, max: number): string {
  if (typeof value !== "string") refuse("malformed", `"${what}" must be text`);
  const bytes = utf8Encode(value).length;
  if (bytes < min || bytes > max) refuse("malformed", `"${what}" must be ${min} to ${max} bytes of UTF-8, got ${bytes}`);
  return value;
}

function wifi(value: CborValue): { ssid: string; psk: string } {
  const m = map(value, "wifi");
  const ssid = m.ssid;
  if (typeof ssid !== "string") refuse("malformed", '"wifi.ssid" must be text');
  const problem = ssidProblem(ssid);
  if (problem) refuse("malformed", `"wifi.ssid" ${problem}`);
  const psk = text(m.psk, "wifi.psk", 0, 64);
  // "" is an open network.
  if (psk !== "" && !isWpa2Passphrase(psk))
    refuse("malformed", '"wifi.psk" must be empty, 8 to 63 printable ASCII characters, or 64 hex digits');
  return { ssid, psk };
}

const HOST = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function broker(value: CborValue): { host: string; port: number; tls: boolean } {
  const m = map(value, "broker");
  const host = text(m.host, "broker.host", 1, 253);
  if (!HOST.test(host)) refuse("malformed", `"broker.host" ${JSON.stringify(host)} is not a host name or IPv4 address`);
  const port = m.port;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) refuse("malformed", '"broker.port" must be 1 to 65535');
  if (typeof m.tls !== "boolean") refuse("malformed", '"broker.tls" must be true or false');
  return { host, port, tls: m.tls };
}

function merchant(value: CborValue): { vpa: string; name: string } {
  const m = map(value, "merchant");
  const vpa = text(m.vpa, "merchant.vpa", 3, 255);
  const name = text(m.name, "merchant.name", 1, 99);
  try {
    buildUpi({ pa: vpa, pn: name, cu: "INR" });
  } catch (error) {
    refuse("malformed", `"merchant": ${(error as Error).message}`);
  }
  return { vpa, name };
}

export function lastAppliedSeq(kv: KeyValueStore): number {
  const value = kv.get(NFC_DOMAIN, LAST_SEQ_KEY);
  return typeof value === "number" ? value : 0;
}

/**
 * Writes the settings where the firmware's config reads them (firmware/config.ts: "config"
 * domain, keys url/vpa/payee; Wi-Fi as ssid/psk), the sequence number last, so a restart
 * half-way leaves the tag applicable again.
 */
export function applyProvisioning(kv: KeyValueStore, settings: ProvisioningSettings): string[] {
  const written: string[] = [];
  const set = (key: string, value: string | number | boolean) => {
    kv.set("config", key, value);
    written.push(key);
  };
  if (settings.wifi) {
    set(WIFI_KEYS.ssid, settings.wifi.ssid);
    set(WIFI_KEYS.psk, settings.wifi.psk);
  }
  // The broker as a URL: it takes precedence over separate host, port and TLS fields (firmware/broker.ts).
  if (settings.broker) set("url", `${settings.broker.tls ? "mqtts" : "mqtt"}://${settings.broker.host}:${settings.broker.port}`);
  if (settings.merchant) {
    set("vpa", settings.merchant.vpa);
    set("payee", settings.merchant.name);
  }
  kv.set(NFC_DOMAIN, LAST_SEQ_KEY, settings.seq);
  return written;
}
