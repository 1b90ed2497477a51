/**
 * EMVCo merchant-presented QR (EMV QRCPS Merchant-Presented Mode, version 1.1): the rules of each
 * data object, a parser that reports every field and every broken rule, and a builder that
 * refuses to produce a payload its own parser would reject.
 *
 * Sections cited are those of the MPM specification: 4.2 (data object formats), 4.3 (TLV),
 * 4.5 (merchant account information), 4.7 (other root objects), 4.8 (additional data, language
 * and unreserved templates), 4.7.3 (CRC).
 */
import { currencyInfo } from "../money";
import { utf8Encode } from "../protocol/bytes";
import { crc16CcittFalse, crcHex } from "./crc16";
import { alphabeticCurrency, numericCurrency } from "./iso4217";
import { characterCount, codePoints, readObjects, readTemplate, TlvError, writeObject, type DataObject } from "./tlv";

/** Rule codes: they appear in problems, CLI output and device logs. Add, never rename. */
export const MpmRule = Object.freeze({
  tlvId: "tlv_id",
  tlvLength: "tlv_length",
  tlvTruncated: "tlv_truncated",
  emptyValue: "empty_value",
  duplicateId: "duplicate_id",
  payloadTooLong: "payload_too_long",
  formatIndicator: "format_indicator",
  crcMissing: "crc_missing",
  crcNotLast: "crc_not_last",
  crcFormat: "crc_format",
  crcMismatch: "crc_mismatch",
  missingField: "missing_field",
  fieldLength: "field_length",
  characters: "invalid_characters",
  initiation: "point_of_initiation",
  noMerchantAccount: "no_merchant_account",
  templateGuid: "template_guid",
  categoryCode: "merchant_category_code",
  currency: "currency_code",
  amount: "amount_format",
  tip: "tip_or_convenience",
  country: "country_code",
  consumerDataRequest: "consumer_data_request",
  reservedId: "reserved_id",
  language: "language_template",
} as const);

export type MpmRuleCode = (typeof MpmRule)[keyof typeof MpmRule];

export interface MpmProblem {
  severity: "error" | "warning";
  rule: MpmRuleCode;
  /** "59", or "62.05" inside a template. */
  path: string;
  message: string;
}

/** The payload limit of section 4.1: at most 512 characters. */
export const MAX_PAYLOAD_CHARACTERS = 512;

export type Initiation = "static" | "dynamic";

export interface MpmTemplate {
  guid: string | undefined;
  /** The template's other data objects by id, in payload order. */
  data: Record<string, string>;
}

export interface MpmAccount {
  id: string;
  /** The raw value: the network's account for ids 02-25, the template text for 26-51. */
  value: string;
  /** For templates 26-51: the globally unique id and the network-specific objects. */
  template?: MpmTemplate;
}

export interface MpmAdditionalData {
  billNumber?: string;
  mobileNumber?: string;
  storeLabel?: string;
  loyaltyNumber?: string;
  referenceLabel?: string;
  customerLabel?: string;
  terminalLabel?: string;
  purpose?: string;
  consumerDataRequest?: string;
  merchantTaxId?: string;
  merchantChannel?: string;
  /** Payment-system-specific templates 50-99, raw template text by id. */
  paymentSystems?: Record<string, string>;
}

export interface MpmLanguage {
  preference: string;
  name: string;
  city?: string;
}

export interface MpmTip {
  /** 01 prompt the payer for a tip, 02 fixed convenience fee (56), 03 percentage fee (57). */
  indicator: string;
  fixed?: string;
  percentage?: string;
}

/** Everything a payload says, as read; absent objects are undefined. */
export interface MpmFields {
  formatIndicator?: string;
  initiation?: Initiation;
  accounts: MpmAccount[];
  merchantCategoryCode?: string;
  /** ISO 4217 numeric, as carried in 53. */
  currencyNumeric?: string;
  /** ISO 4217 alphabetic, when this terminal knows the numeric code. */
  currency?: string;
  amount?: string;
  tip?: MpmTip;
  country?: string;
  merchantName?: string;
  merchantCity?: string;
  postalCode?: string;
  additional?: MpmAdditionalData;
  language?: MpmLanguage;
  /** Unreserved templates 80-99, raw template text by id. */
  unreserved: Record<string, string>;
  crc?: string;
}

export interface MpmParse {
  /** True when no problem is an error (warnings allowed). */
  ok: boolean;
  fields: MpmFields;
  /** The data objects in payload order, templates with their children. */
  objects: DataObject[];
  problems: MpmProblem[];
}

export class MpmError extends Error {
  constructor(readonly problems: MpmProblem[]) {
    super(problems.filter((p) => p.severity === "error").map((p) => `${p.path}: ${p.message} [${p.rule}]`).join("; "));
    this.name = "MpmError";
  }

  get rule(): MpmRuleCode {
    return (this.problems.find((p) => p.severity === "error") ?? this.problems[0]).rule;
  }
}

/** Data object formats (section 4.2): numeric, alphanumeric special (printable ASCII), string (any Unicode). */
type Format = "N" | "ans" | "S";

interface Spec {
  name: string;
  format: Format;
  min: number;
  max: number;
}

const ROOT: Record<string, Spec> = {
  "00": { name: "payload format indicator", format: "N", min: 2, max: 2 },
  "01": { name: "point of initiation method", format: "N", min: 2, max: 2 },
  "52": { name: "merchant category code", format: "N", min: 4, max: 4 },
  "53": { name: "transaction currency", format: "N", min: 3, max: 3 },
  "54": { name: "transaction amount", format: "ans", min: 1, max: 13 },
  "55": { name: "tip or convenience indicator", format: "N", min: 2, max: 2 },
  "56": { name: "value of convenience fee fixed", format: "ans", min: 1, max: 13 },
  "57": { name: "value of convenience fee percentage", format: "ans", min: 1, max: 5 },
  "58": { name: "country code", format: "ans", min: 2, max: 2 },
  "59": { name: "merchant name", format: "ans", min: 1, max: 25 },
  "60": { name: "merchant city", format: "ans", min: 1, max: 15 },
  "61": { name: "postal code", format: "ans", min: 1, max: 10 },
};

const ADDITIONAL: Record<string, Spec & { key: Exclude<keyof MpmAdditionalData, "paymentSystems"> }> = {
  "01": { key: "billNumber", name: "bill number", format: "ans", min: 1, max: 25 },
  "02": { key: "mobileNumber", name: "mobile number", format: "ans", min: 1, max: 25 },
  "03": { key: "storeLabel", name: "store label", format: "ans", min: 1, max: 25 },
  "04": { key: "loyaltyNumber", name: "loyalty number", format: "ans", min: 1, max: 25 },
  "05": { key: "referenceLabel", name: "reference label", format: "ans", min: 1, max: 25 },
  "06": { key: "customerLabel", name: "customer label", format: "ans", min: 1, max: 25 },
  "07": { key: "terminalLabel", name: "terminal label", format: "ans", min: 1, max: 25 },
  "08": { key: "purpose", name: "purpose of transaction", format: "ans", min: 1, max: 25 },
  "09": { key: "consumerDataRequest", name: "additional consumer data request", format: "ans", min: 1, max: 3 },
  "10": { key: "merchantTaxId", name: "merchant tax id", format: "ans", min: 1, max: 20 },
  "11": { key: "merchantChannel", name: "merchant channel", format: "ans", min: 3, max: 3 },
};

const LANGUAGE: Record<string, Spec> = {
  "00": { name: "language preference", format: "ans", min: 2, max: 2 },
  "01": { name: "merchant name, alternate language", format: "S", min: 1, max: 25 },
  "02": { name: "merchant city, alternate language", format: "S", min: 1, max: 15 },
};

const GUID: Spec = { name: "globally unique identifier", format: "ans", min: 1, max: 32 };
const NETWORK_DATA: Spec = { name: "payment network specific data", format: "S", min: 1, max: 99 };
const NETWORK_ACCOUNT: Spec = { name: "merchant account information", format: "ans", min: 1, max: 99 };

/** Root order the builder writes (section 4.7 lists them so); a parsed payload keeps its own order. */
const WARN_MISSING = ["52", "59", "60"];

function idNumber(id: string): number {
  return Number(id);
}

export function isAccountTemplateId(id: string): boolean {
  const n = idNumber(id);
  return n >= 26 && n <= 51;
}

function isNetworkAccountId(id: string): boolean {
  const n = idNumber(id);
  return n >= 2 && n <= 25;
}

function isUnreservedId(id: string): boolean {
  return idNumber(id) >= 80;
}

/** A character outside the format, or undefined when all are allowed. */
function badCharacter(value: string, format: Format): string | undefined {
  for (const char of value) {
    const code = char.codePointAt(0) as number;
    if (format === "N") {
      if (code < 48 || code > 57) return char;
    } else if (format === "ans") {
      if (code < 0x20 || code > 0x7e) return char;
    } else if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff)) return char;
  }
  return undefined;
}

function describe(char: string): string {
  const code = char.codePointAt(0) as number;
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}${code >= 0x20 && code !== 0x7f ? ` ${JSON.stringify(char)}` : ""}`;
}

const FORMAT_NAMES: Record<Format, string> = { N: "digits only", ans: "printable ASCII only", S: "no control characters" };

class Checker {
  readonly problems: MpmProblem[] = [];

  error(rule: MpmRuleCode, path: string, message: string): void {
    this.problems.push({ severity: "error", rule, path, message });
  }

  warn(rule: MpmRuleCode, path: string, message: string): void {
    this.problems.push({ severity: "warning", rule, path, message });
  }

  /** Length and character set; true when both hold. */
  value(path: string, spec: Spec, value: string): boolean {
    const length = characterCount(value);
    let good = true;
    if (length < spec.min || length > spec.max) {
      const wanted = spec.min === spec.max ? `exactly ${spec.min}` : `${spec.min} to ${spec.max}`;
      this.error(MpmRule.fieldLength, path, `${spec.name} has ${length} characters; it takes ${wanted}`);
      good = false;
    }
    const bad = badCharacter(value, spec.format);
    if (bad !== undefined) {
      this.error(MpmRule.characters, path, `${spec.name} contains ${describe(bad)}; format ${spec.format} allows ${FORMAT_NAMES[spec.format]}`);
      good = false;
    }
    return good;
  }

  /** Reads a template's children; a structural break is an error on the template. */
  children(object: DataObject, path: string): DataObject[] | undefined {
    try {
      object.children = readTemplate(object);
    } catch (error) {
      if (!(error instanceof TlvError)) throw error;
      this.error(error.rule, path, `template is not a list of data objects: ${error.message}`);
      return undefined;
    }
    this.duplicates(object.children, `${path}.`);
    return object.children;
  }

  duplicates(objects: readonly DataObject[], prefix: string): void {
    const seen: Record<string, true> = {};
    for (const object of objects) {
      if (seen[object.id]) this.error(MpmRule.duplicateId, `${prefix}${object.id}`, `data object ${prefix}${object.id} appears more than once`);
      seen[object.id] = true;
    }
  }

  /** A template with a globally unique identifier in 00 and free-form objects 01-99. */
  template(object: DataObject, path: string, kind: string): MpmTemplate | undefined {
    const children = this.children(object, path);
    if (!children) return undefined;
    const template: MpmTemplate = { guid: undefined, data: {} };
    for (const child of children) {
      if (child.id === "00") {
        if (this.value(`${path}.00`, GUID, child.value)) template.guid = child.value;
      } else {
        this.value(`${path}.${child.id}`, NETWORK_DATA, child.value);
        template.data[child.id] = child.value;
      }
    }
    if (template.guid === undefined && !children.some((c) => c.id === "00"))
      this.error(MpmRule.templateGuid, `${path}.00`, `${kind} template ${path} has no globally unique identifier (00)`);
    return template;
  }

  /** Amount rules of section 4.7.1: digits with at most one '.', not zero, no separators. */
  amount(path: string, name: string, value: string, currencyNumeric: string | undefined): boolean {
    const match = /^(\d+)(?:\.(\d*))?$/.exec(value);
    if (!match) {
      this.error(MpmRule.amount, path, `${name} ${JSON.stringify(value)} must be digits with at most one "." as the decimal mark (no sign, no thousands separator)`);
      return false;
    }
    if (!/[1-9]/.test(value)) {
      this.error(MpmRule.amount, path, `${name} must not be zero`);
      return false;
    }
    const alphabetic = currencyNumeric === undefined ? undefined : alphabeticCurrency(currencyNumeric);
    const info = alphabetic === undefined ? undefined : currencyInfo(alphabetic);
    const decimals = (match[2] ?? "").length;
    if (info && decimals > info.exponent) {
      this.error(MpmRule.amount, path, `${name} ${value} has ${decimals} decimals; ${info.code} has ${info.exponent}`);
      return false;
    }
    return true;
  }
}

function checkCrc(check: Checker, chars: readonly string[], objects: readonly DataObject[]): string | undefined {
  const crcIndex = objects.findIndex((o) => o.id === "63");
  if (crcIndex < 0) {
    check.error(MpmRule.crcMissing, "63", "no CRC (63); it must be the last data object");
    return undefined;
  }
  const crc = objects[crcIndex];
  if (crcIndex !== objects.length - 1) check.error(MpmRule.crcNotLast, "63", `CRC (63) at offset ${crc.at} is followed by ${objects.length - 1 - crcIndex} more data object(s); it must be last`);
  if (!/^[0-9A-Fa-f]{4}$/.test(crc.value)) {
    check.error(MpmRule.crcFormat, "63", `CRC ${JSON.stringify(crc.value)} is not four hexadecimal digits`);
    return crc.value;
  }
  // Everything before the CRC's value, "6304" included, in UTF-8 (section 4.7.3).
  const covered = chars.slice(0, crc.at + 4).join("");
  const expected = crcHex(crc16CcittFalse(utf8Encode(covered)));
  if (crc.value.toUpperCase() !== expected) check.error(MpmRule.crcMismatch, "63", `CRC is ${crc.value}; the payload's CRC-16/CCITT-FALSE is ${expected}`);
  return crc.value;
}

function parseAdditional(check: Checker, object: DataObject): MpmAdditionalData | undefined {
  const children = check.children(object, "62");
  if (!children) return undefined;
  const data: MpmAdditionalData = {};
  for (const child of children) {
    const path = `62.${child.id}`;
    const n = idNumber(child.id);
    const spec = Object.prototype.hasOwnProperty.call(ADDITIONAL, child.id) ? ADDITIONAL[child.id] : undefined;
    if (spec) {
      if (!check.value(path, spec, child.value)) continue;
      if (spec.key === "consumerDataRequest" && !/^(?!.*(.).*\1)[AME]{1,3}$/.test(child.value))
        check.error(MpmRule.consumerDataRequest, path, `consumer data request ${JSON.stringify(child.value)} must be "A", "M" and/or "E", each at most once`);
      else data[spec.key] = child.value;
    } else if (n >= 50) {
      check.template(child, path, "payment system specific");
      (data.paymentSystems ??= {})[child.id] = child.value;
    } else {
      check.warn(MpmRule.reservedId, path, `62.${child.id} is reserved for future use by EMVCo`);
    }
  }
  return data;
}

function parseLanguage(check: Checker, object: DataObject): MpmLanguage | undefined {
  const children = check.children(object, "64");
  if (!children) return undefined;
  let preference: string | undefined, name: string | undefined, city: string | undefined;
  for (const child of children) {
    const path = `64.${child.id}`;
    const spec = Object.prototype.hasOwnProperty.call(LANGUAGE, child.id) ? LANGUAGE[child.id] : undefined;
    if (!spec) {
      check.warn(MpmRule.reservedId, path, `64.${child.id} is reserved for future use by EMVCo`);
      continue;
    }
    if (!check.value(path, spec, child.value)) continue;
    if (child.id === "00") {
      if (/^[A-Za-z]{2}$/.test(child.value)) preference = child.value;
      else check.error(MpmRule.language, path, `language preference ${JSON.stringify(child.value)} is not an ISO 639-1 two-letter code`);
    } else if (child.id === "01") name = child.value;
    else city = child.value;
  }
  if (!children.some((c) => c.id === "00")) check.error(MpmRule.language, "64.00", "language template has no language preference (00)");
  if (!children.some((c) => c.id === "01")) check.error(MpmRule.language, "64.01", "language template has no merchant name in the alternate language (01)");
  if (preference === undefined || name === undefined) return undefined;
  return city === undefined ? { preference, name } : { preference, name, city };
}

function parseRoot(check: Checker, objects: readonly DataObject[], fields: MpmFields): void {
  for (const object of objects) {
    const { id, value } = object;
    if (id === "63") continue; // checkCrc's
    const spec = Object.prototype.hasOwnProperty.call(ROOT, id) ? ROOT[id] : undefined;
    if (spec) {
      if (!check.value(id, spec, value)) continue;
      switch (id) {
        case "00":
          fields.formatIndicator = value;
          if (value !== "01") check.error(MpmRule.formatIndicator, id, `payload format indicator is ${value}; version 01 is the only one defined`);
          break;
        case "01":
          if (value === "11") fields.initiation = "static";
          else if (value === "12") fields.initiation = "dynamic";
          else check.error(MpmRule.initiation, id, `point of initiation ${value} is neither 11 (static) nor 12 (dynamic)`);
          break;
        case "52":
          fields.merchantCategoryCode = value;
          break;
        case "53":
          fields.currencyNumeric = value;
          fields.currency = alphabeticCurrency(value);
          if (fields.currency === undefined) check.warn(MpmRule.currency, id, `currency ${value} is not an ISO 4217 code this terminal knows`);
          break;
        case "54":
        case "56":
          if (check.amount(id, spec.name, value, objects.find((o) => o.id === "53")?.value)) {
            if (id === "54") fields.amount = value;
            else (fields.tip ??= { indicator: "" }).fixed = value;
          }
          break;
        case "55":
          (fields.tip ??= { indicator: "" }).indicator = value;
          break;
        case "57":
          if (/^\d{1,2}(\.\d{1,2})?$/.test(value) && /[1-9]/.test(value)) (fields.tip ??= { indicator: "" }).percentage = value;
          else check.error(MpmRule.tip, id, `convenience fee percentage ${JSON.stringify(value)} must be between 00.01 and 99.99`);
          break;
        case "58":
          if (/^[A-Z]{2}$/.test(value)) fields.country = value;
          else check.error(MpmRule.country, id, `country code ${JSON.stringify(value)} is not an ISO 3166-1 alpha-2 code (two capital letters)`);
          break;
        case "59":
          fields.merchantName = value;
          break;
        case "60":
          fields.merchantCity = value;
          break;
        case "61":
          fields.postalCode = value;
          break;
      }
    } else if (isNetworkAccountId(id)) {
      if (check.value(id, NETWORK_ACCOUNT, value)) fields.accounts.push({ id, value });
    } else if (isAccountTemplateId(id)) {
      const template = check.template(object, id, "merchant account");
      fields.accounts.push(template ? { id, value, template } : { id, value });
    } else if (id === "62") {
      fields.additional = parseAdditional(check, object);
    } else if (id === "64") {
      fields.language = parseLanguage(check, object);
    } else if (isUnreservedId(id)) {
      check.template(object, id, "unreserved");
      fields.unreserved[id] = value;
    } else {
      check.warn(MpmRule.reservedId, id, `${id} is reserved for future use by EMVCo`);
    }
  }
}

function checkTip(check: Checker, objects: readonly DataObject[]): void {
  const indicator = objects.find((o) => o.id === "55")?.value;
  const has56 = objects.some((o) => o.id === "56");
  const has57 = objects.some((o) => o.id === "57");
  if (indicator === undefined) {
    if (has56 || has57) check.error(MpmRule.tip, has56 ? "56" : "57", "a convenience fee (56 or 57) needs the tip or convenience indicator (55)");
    return;
  }
  if (indicator === "01") {
    if (has56 || has57) check.error(MpmRule.tip, has56 ? "56" : "57", "indicator 01 prompts for a tip; it takes no convenience fee (56, 57)");
  } else if (indicator === "02") {
    if (!has56) check.error(MpmRule.tip, "56", "indicator 02 (fixed convenience fee) needs the fee in 56");
    if (has57) check.error(MpmRule.tip, "57", "indicator 02 (fixed convenience fee) takes no percentage (57)");
  } else if (indicator === "03") {
    if (!has57) check.error(MpmRule.tip, "57", "indicator 03 (percentage convenience fee) needs the percentage in 57");
    if (has56) check.error(MpmRule.tip, "56", "indicator 03 (percentage convenience fee) takes no fixed fee (56)");
  } else {
    check.error(MpmRule.tip, "55", `tip or convenience indicator ${indicator} is not 01, 02 or 03`);
  }
}

/** Parses a payload and checks every rule; never throws for bad input. */
export function parseMpm(payload: string): MpmParse {
  const check = new Checker();
  const fields: MpmFields = { accounts: [], unreserved: {} };
  const chars = codePoints(payload);
  if (chars.length > MAX_PAYLOAD_CHARACTERS)
    check.error(MpmRule.payloadTooLong, "", `payload has ${chars.length} characters; EMVCo allows at most ${MAX_PAYLOAD_CHARACTERS}`);
  const objects: DataObject[] = [];
  let complete = true;
  try {
    readObjects(chars, 0, chars.length, 0, objects);
  } catch (error) {
    if (!(error instanceof TlvError)) throw error;
    // The objects before the break are still checked and reported.
    check.error(error.rule, "", error.message);
    complete = false;
  }
  if (objects.length === 0 || objects[0].id !== "00")
    check.error(MpmRule.formatIndicator, "00", "the payload must begin with the payload format indicator (000201)");
  check.duplicates(objects, "");
  parseRoot(check, objects, fields);
  if (complete) fields.crc = checkCrc(check, chars, objects);
  const present = (id: string) => objects.some((o) => o.id === id);
  for (const id of ["53", "58"]) if (!present(id)) check.error(MpmRule.missingField, id, `${ROOT[id].name} (${id}) is mandatory`);
  for (const id of WARN_MISSING)
    if (!present(id)) check.warn(MpmRule.missingField, id, `${ROOT[id].name} (${id}) is mandatory in EMVCo MPM (some domestic profiles, such as PromptPay, leave it out)`);
  if (!objects.some((o) => isNetworkAccountId(o.id) || isAccountTemplateId(o.id)))
    check.error(MpmRule.noMerchantAccount, "02-51", "no merchant account information (02-51); at least one is mandatory");
  checkTip(check, objects);
  return { ok: !check.problems.some((p) => p.severity === "error"), fields, objects, problems: check.problems };
}

/** Re-encodes parsed objects in their order, with a freshly computed CRC in place of 63's. */
export function encodeMpmObjects(objects: readonly DataObject[]): string {
  let body = "";
  for (const object of objects) if (object.id !== "63") body += writeObject(object.id, object.value);
  return withCrc(body);
}

function withCrc(body: string): string {
  const covered = `${body}6304`;
  return covered + crcHex(crc16CcittFalse(utf8Encode(covered)));
}

/** A template's value from its globally unique identifier and its other objects. */
export function mpmTemplate(guid: string, data: Record<string, string> = {}): string {
  let value = writeObject("00", guid);
  for (const id of Object.keys(data).sort()) value += writeObject(id, data[id]);
  return value;
}

export interface MpmBuild {
  initiation: Initiation;
  /** Ids 02-51; for 26-51 the value is template text (see mpmTemplate). */
  accounts: readonly { id: string; value: string }[];
  merchantCategoryCode: string;
  /** ISO 4217 alphabetic. */
  currency: string;
  amount?: string;
  tip?: MpmTip;
  country: string;
  merchantName: string;
  merchantCity: string;
  postalCode?: string;
  additional?: Omit<MpmAdditionalData, "paymentSystems"> & { paymentSystems?: Record<string, string> };
  language?: MpmLanguage;
  unreserved?: Record<string, string>;
}

/**
 * Builds a payload in the root order of section 4.7 and checks it with parseMpm: the result is
 * a payload this parser accepts without error, or an MpmError naming every broken rule.
 */
export function buildMpm(content: MpmBuild): string {
  const numeric = numericCurrency(content.currency);
  if (numeric === undefined) throw new MpmError([{ severity: "error", rule: MpmRule.currency, path: "53", message: `currency ${content.currency} has no ISO 4217 numeric code here` }]);
  const objects: [string, string | undefined][] = [
    ["00", "01"],
    ["01", content.initiation === "static" ? "11" : "12"],
    ...[...content.accounts].sort((a, b) => idNumber(a.id) - idNumber(b.id)).map((a): [string, string] => [a.id, a.value]),
    ["52", content.merchantCategoryCode],
    ["53", numeric],
    ["54", content.amount],
    ["55", content.tip?.indicator],
    ["56", content.tip?.fixed],
    ["57", content.tip?.percentage],
    ["58", content.country],
    ["59", content.merchantName],
    ["60", content.merchantCity],
    ["61", content.postalCode],
    ["62", content.additional && additionalText(content.additional)],
    ["64", content.language && languageText(content.language)],
    ...Object.keys(content.unreserved ?? {}).sort().map((id): [string, string] => [id, (content.unreserved as Record<string, string>)[id]]),
  ];
  let body = "";
  for (const [id, value] of objects) {
    if (value === undefined || value === "") continue;
    body += encodeChecked(id, value);
  }
  const payload = withCrc(body);
  const parsed = parseMpm(payload);
  if (!parsed.ok) throw new MpmError(parsed.problems);
  return payload;
}

function encodeChecked(path: string, value: string): string {
  try {
    return writeObject(path.slice(-2), value);
  } catch (error) {
    throw new MpmError([{ severity: "error", rule: MpmRule.fieldLength, path, message: (error as Error).message }]);
  }
}

function additionalText(additional: NonNullable<MpmBuild["additional"]>): string | undefined {
  let value = "";
  for (const id of Object.keys(ADDITIONAL)) {
    const text = additional[ADDITIONAL[id].key];
    if (typeof text === "string" && text !== "") value += encodeChecked(`62.${id}`, text);
  }
  const systems = additional.paymentSystems ?? {};
  for (const id of Object.keys(systems).sort()) value += encodeChecked(`62.${id}`, systems[id]);
  return value === "" ? undefined : value;
}

function languageText(language: MpmLanguage): string {
  let value = encodeChecked("64.00", language.preference) + encodeChecked("64.01", language.name);
  if (language.city !== undefined) value += encodeChecked("64.02", language.city);
  return value;
}
