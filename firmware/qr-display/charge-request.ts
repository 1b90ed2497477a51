/**
 * The charge request, protocol version 1 (docs/protocol.md, "Charge requests"): the body of an
 * envelope tagged for the "charge" domain on pt/v1/{id}/charge. It asks the QR display to offer
 * one payment (op "show", the default) or to withdraw it (op "cancel"). The display reads it
 * (parseChargeRequest); the payment service writes it with the same key tables
 * (chargeRequestBody), so the two sides cannot drift apart.
 */
import { currencyInfo, MAX_AMOUNT_MINOR } from "../money";
import { CHARGE_REFERENCE } from "../payments/confirmation";
import { Reason } from "../payments/reasons";
import { isCborMap, type CborMap, type CborValue } from "../protocol/cbor";
import { DEVICE_ID } from "../protocol/topics";

export const CHARGE_VERSION = 1;

const { unsupportedVersion, badBody, missingField, badField, amountRange, unknownCurrency, wrongDevice, expired } = Reason;

/**
 * Why a charge request was not shown: the payment pipeline's codes where the meaning is the
 * same, then the charge-only ones. Add, never reuse.
 */
export const ChargeReason = Object.freeze({
  unsupportedVersion,
  badBody,
  missingField,
  badField,
  amountRange,
  unknownCurrency,
  wrongDevice,
  expired,
  noScheme: "no_scheme",
  badScheme: "bad_scheme",
  schemeCurrency: "scheme_currency",
  amountDiffers: "amount_differs",
  tooLargeForScreen: "too_large_for_screen",
  notActive: "not_active",
  referenceReused: "reference_reused",
  noDisplay: "no_display",
} as const);

export type ChargeReasonCode = (typeof ChargeReason)[keyof typeof ChargeReason];

export class ChargeRejection extends Error {
  constructor(readonly reason: string, readonly detail: string, readonly reference?: string) {
    super(`${reason}: ${detail}`);
    this.name = "ChargeRejection";
  }
}

/** UPI parameters a charge may set; pa and pn default to the device's merchant configuration. */
export const UPI_CHARGE_KEYS = ["pa", "pn", "mc", "tid", "tn", "mam", "url", "mode", "purpose", "orgid"] as const;
export type UpiChargeKey = (typeof UPI_CHARGE_KEYS)[number];

export interface UpiScheme {
  /** A complete link from the PSP (possibly signed): shown exactly as given. */
  link?: string;
  fields: Partial<Record<UpiChargeKey, string>>;
}

export interface EmvScheme {
  /** A complete payload: shown exactly as given, after its rules, CRC and amount are checked. */
  payload?: string;
  /** Merchant account information by id (02-51); templates as their TLV text. */
  accounts: Record<string, string>;
  mcc?: string;
  country?: string;
  name?: string;
  city?: string;
  postalCode?: string;
  language?: { preference: string; name: string; city?: string };
  billNumber?: string;
  storeLabel?: string;
  terminalLabel?: string;
  purpose?: string;
  /** What the screen calls this code ("Alipay+", "UPI Global"...). */
  label?: string;
}

export interface ShowCharge {
  op: "show";
  reference: string;
  amountMinor: number;
  currency: string;
  issuedAt: number;
  expiresAt: number;
  deviceId: string;
  upi: UpiScheme | undefined;
  emv: EmvScheme | undefined;
}

export interface CancelCharge {
  op: "cancel";
  reference: string;
  issuedAt: number;
  deviceId: string;
}

export type ChargeRequest = ShowCharge | CancelCharge;

function has(map: CborMap, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(map, key);
}

class BodyReader {
  reference: string | undefined;
  constructor(readonly map: CborMap, readonly where: string) {}

  fail(reason: string, detail: string): never {
    throw new ChargeRejection(reason, detail, this.reference);
  }

  required(key: string): CborValue {
    if (!has(this.map, key)) this.fail(ChargeReason.missingField, `${this.where}has no "${key}"`);
    return this.map[key];
  }

  text(key: string, pattern: RegExp, what: string): string {
    const value = this.required(key);
    if (typeof value !== "string" || !pattern.test(value)) this.fail(ChargeReason.badField, `${this.where}"${key}" must be ${what}`);
    return value;
  }

  optionalText(key: string, max: number): string | undefined {
    if (!has(this.map, key)) return undefined;
    const value = this.map[key];
    if (typeof value !== "string" || value.length === 0 || value.length > max)
      this.fail(ChargeReason.badField, `${this.where}"${key}" must be a string of 1 to ${max} characters`);
    return value;
  }

  time(key: string): number {
    const value = this.required(key);
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
      this.fail(ChargeReason.badField, `${this.where}"${key}" must be a non-negative integer of milliseconds`);
    return value;
  }

  nested(key: string): CborMap | undefined {
    if (!has(this.map, key)) return undefined;
    const value = this.map[key];
    if (!isCborMap(value)) this.fail(ChargeReason.badField, `${this.where}"${key}" must be a map`);
    return value;
  }

  onlyKeys(allowed: readonly string[]): void {
    for (const key of Object.keys(this.map))
      if (allowed.indexOf(key) < 0) this.fail(ChargeReason.badField, `${this.where}"${key}" is not a key of this map (${allowed.join(", ")})`);
  }
}

function readUpi(parent: BodyReader): UpiScheme | undefined {
  const map = parent.nested("upi");
  if (!map) return undefined;
  const r: BodyReader = new BodyReader(map, "upi: ");
  r.reference = parent.reference;
  r.onlyKeys(["link", ...UPI_CHARGE_KEYS]);
  const link = r.optionalText("link", 1024);
  const fields: Partial<Record<UpiChargeKey, string>> = {};
  for (const key of UPI_CHARGE_KEYS) {
    const value = r.optionalText(key, 512);
    if (value !== undefined) fields[key] = value;
  }
  if (link !== undefined && Object.keys(fields).length > 0) r.fail(ChargeReason.badField, "upi: a complete link comes alone, without fields to build one");
  return link === undefined ? { fields } : { link, fields };
}

/** The EMVCo scheme's text fields: the field, its key on the wire, its longest length. */
const EMV_TEXT_FIELDS: readonly (readonly [EmvTextField, string, number])[] = [
  ["mcc", "mcc", 4],
  ["country", "cc", 2],
  ["name", "name", 99],
  ["city", "city", 99],
  ["postalCode", "zip", 99],
  ["billNumber", "bill", 99],
  ["storeLabel", "store", 99],
  ["terminalLabel", "term", 99],
  ["purpose", "purpose", 99],
  ["label", "label", 24],
];
type EmvTextField = "mcc" | "country" | "name" | "city" | "postalCode" | "billNumber" | "storeLabel" | "terminalLabel" | "purpose" | "label";

const EMV_KEYS = ["payload", "acct", "lang", ...EMV_TEXT_FIELDS.map((field) => field[1])];

function readEmv(parent: BodyReader): EmvScheme | undefined {
  const map = parent.nested("emv");
  if (!map) return undefined;
  const r: BodyReader = new BodyReader(map, "emv: ");
  r.reference = parent.reference;
  r.onlyKeys(EMV_KEYS);
  const scheme: EmvScheme = { accounts: {} };
  scheme.payload = r.optionalText("payload", 512);
  const accounts = r.nested("acct");
  if (accounts) {
    for (const id of Object.keys(accounts)) {
      const value = accounts[id];
      if (!/^\d\d$/.test(id) || Number(id) < 2 || Number(id) > 51 || typeof value !== "string")
        r.fail(ChargeReason.badField, `emv: "acct" maps ids 02-51 to text; ${JSON.stringify(id)} does not`);
      scheme.accounts[id] = value;
    }
  }
  for (const [field, key, max] of EMV_TEXT_FIELDS) scheme[field] = r.optionalText(key, max);
  const language = r.nested("lang");
  if (language) {
    const l: BodyReader = new BodyReader(language, "emv.lang: ");
    l.reference = parent.reference;
    l.onlyKeys(["pref", "name", "city"]);
    const preference = l.text("pref", /^[A-Za-z]{2}$/, "an ISO 639-1 two-letter code");
    const name = l.text("name", /^.{1,99}$/u, "the merchant's name in that language");
    const city = l.optionalText("city", 99);
    scheme.language = city === undefined ? { preference, name } : { preference, name, city };
  }
  if (scheme.payload !== undefined && Object.keys(map).some((key) => key !== "payload" && key !== "label"))
    r.fail(ChargeReason.badField, "emv: a complete payload comes alone (with at most a label), without fields to build one");
  if (scheme.payload === undefined && Object.keys(scheme.accounts).length === 0)
    r.fail(ChargeReason.missingField, 'emv: "acct" (merchant account information) is needed to build a payload');
  return scheme;
}

/** Validates an authenticated, decoded body. Unknown top-level keys are ignored, as for payments. */
export function parseChargeRequest(body: CborValue): ChargeRequest {
  if (!isCborMap(body)) throw new ChargeRejection(ChargeReason.badBody, "body is not a map");
  const r: BodyReader = new BodyReader(body, "");
  const version = r.required("v");
  if (version !== CHARGE_VERSION) r.fail(ChargeReason.unsupportedVersion, `body version ${String(version)} is not ${CHARGE_VERSION}`);
  r.reference = r.text("ref", CHARGE_REFERENCE, "1-25 letters, digits or . _ -");
  const op = has(body, "op") ? body.op : "show";
  if (op !== "show" && op !== "cancel") r.fail(ChargeReason.badField, '"op" must be "show" or "cancel"');
  const deviceId = r.text("dev", DEVICE_ID, "a device id");
  const issuedAt = r.time("ts");
  if (op === "cancel") return { op, reference: r.reference, issuedAt, deviceId };
  const amount = r.required("amt");
  if (typeof amount === "bigint") r.fail(ChargeReason.amountRange, "amount does not fit in 53 bits");
  if (typeof amount !== "number" || !Number.isInteger(amount)) r.fail(ChargeReason.badField, '"amt" must be an integer of minor units');
  if (amount <= 0 || amount > MAX_AMOUNT_MINOR) r.fail(ChargeReason.amountRange, `amount ${amount} is outside 1..${MAX_AMOUNT_MINOR}`);
  const currency = r.text("cur", /^[A-Z]{3}$/, "an ISO 4217 alphabetic code");
  if (!currencyInfo(currency)) r.fail(ChargeReason.unknownCurrency, `currency ${currency} is not supported`);
  const expiresAt = r.time("exp");
  if (expiresAt <= issuedAt) r.fail(ChargeReason.badField, '"exp" must be after "ts"');
  const upi = readUpi(r);
  const emv = readEmv(r);
  if (!upi && !emv) r.fail(ChargeReason.noScheme, 'a charge needs "upi", "emv" or both');
  return { op, reference: r.reference, amountMinor: amount, currency, issuedAt, expiresAt, deviceId, upi, emv };
}

function upiBody(upi: UpiScheme): CborMap {
  const map: CborMap = {};
  if (upi.link !== undefined) map.link = upi.link;
  for (const key of UPI_CHARGE_KEYS) {
    const value = upi.fields[key];
    if (value !== undefined) map[key] = value;
  }
  return map;
}

function emvBody(emv: EmvScheme): CborMap {
  const map: CborMap = {};
  if (emv.payload !== undefined) map.payload = emv.payload;
  if (Object.keys(emv.accounts).length > 0) map.acct = { ...emv.accounts };
  for (const [field, key] of EMV_TEXT_FIELDS) {
    const value = emv[field];
    if (value !== undefined) map[key] = value;
  }
  if (emv.language) {
    const { preference, name, city } = emv.language;
    map.lang = city === undefined ? { pref: preference, name } : { pref: preference, name, city };
  }
  return map;
}

/**
 * The body of a charge request, as the payment service sends it: what parseChargeRequest reads
 * back. It does not validate; the display does, and says why it refuses.
 */
export function chargeRequestBody(request: ChargeRequest): CborMap {
  if (request.op === "cancel") return { v: CHARGE_VERSION, op: "cancel", ref: request.reference, ts: request.issuedAt, dev: request.deviceId };
  const body: CborMap = { v: CHARGE_VERSION, ref: request.reference, amt: request.amountMinor, cur: request.currency, ts: request.issuedAt, exp: request.expiresAt, dev: request.deviceId };
  if (request.upi) body.upi = upiBody(request.upi);
  if (request.emv) body.emv = emvBody(request.emv);
  return body;
}
