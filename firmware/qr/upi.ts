/**
 * UPI payment links (upi://pay?...), NPCI's linking specification: build and parse, with the
 * percent-encoding NPCI's examples use (unreserved characters and '@' literal, everything else
 * as %XX of its UTF-8 bytes, a space as %20). A link carrying `sign` is signed by the payee's
 * PSP over its exact text: it is only ever checked, never rebuilt or re-encoded.
 */
import { utf8Decode, utf8Encode } from "../protocol/bytes";

export const UpiRule = Object.freeze({
  scheme: "upi_scheme",
  syntax: "parameter_syntax",
  duplicate: "duplicate_parameter",
  percent: "percent_encoding",
  characters: "invalid_characters",
  missing: "missing_parameter",
  payee: "payee_address",
  length: "parameter_length",
  amount: "amount_format",
  currency: "currency",
  code: "code_format",
  url: "url_format",
  unknown: "unknown_parameter",
  tooLong: "link_too_long",
} as const);

export type UpiRuleCode = (typeof UpiRule)[keyof typeof UpiRule];

export interface UpiProblem {
  severity: "error" | "warning";
  rule: UpiRuleCode;
  /** The parameter name, or "" for the link as a whole. */
  param: string;
  message: string;
}

/** The parameters of the linking specification, in the order the builder writes them. */
export const UPI_PARAMETERS = ["pa", "pn", "mc", "tid", "tr", "tn", "am", "mam", "cu", "url", "mode", "purpose", "orgid", "sign"] as const;
export type UpiParameter = (typeof UPI_PARAMETERS)[number];
export type UpiFields = Partial<Record<UpiParameter, string>>;

export interface UpiParam {
  key: string;
  /** As written in the link. */
  raw: string;
  /** Percent-decoded; undefined when the encoding is broken. */
  value: string | undefined;
}

export interface UpiParse {
  ok: boolean;
  /** "upi://pay?" as written (its case is kept). */
  prefix: string;
  params: UpiParam[];
  fields: UpiFields;
  /** Parameters outside the specification, kept as decoded. */
  extra: Record<string, string>;
  signed: boolean;
  problems: UpiProblem[];
}

export class UpiError extends Error {
  constructor(readonly problems: UpiProblem[]) {
    super(problems.filter((p) => p.severity === "error").map((p) => `${p.param || "link"}: ${p.message} [${p.rule}]`).join("; "));
    this.name = "UpiError";
  }

  get rule(): UpiRuleCode {
    return (this.problems.find((p) => p.severity === "error") ?? this.problems[0]).rule;
  }
}

/** Long enough for any link a wallet reads; a QR the display can show holds less. */
export const MAX_LINK_LENGTH = 1024;

const PREFIX = "upi://pay?";
const VPA = /^[A-Za-z0-9._-]{2,256}@[A-Za-z0-9.-]{2,64}$/;
const AMOUNT = /^\d{1,10}(\.\d{1,2})?$/;
/** Transaction reference and id: what PSPs accept, up to 35 characters. */
const REFERENCE = /^[A-Za-z0-9._:/-]{1,35}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

interface ParamRule {
  max: number;
  /** A pattern the decoded value must match; free text when absent. */
  pattern?: RegExp;
  rule?: UpiRuleCode;
  expected?: string;
}

const RULES: Record<UpiParameter, ParamRule> = {
  pa: { max: 321, pattern: VPA, rule: UpiRule.payee, expected: "a payee address of the form name@handle" },
  pn: { max: 99 },
  mc: { max: 4, pattern: /^\d{4}$/, rule: UpiRule.code, expected: "a four-digit merchant category code" },
  tid: { max: 35, pattern: REFERENCE, rule: UpiRule.code, expected: "1-35 letters, digits or . _ : / -" },
  tr: { max: 35, pattern: REFERENCE, rule: UpiRule.code, expected: "1-35 letters, digits or . _ : / -" },
  tn: { max: 50 },
  am: { max: 13, pattern: AMOUNT, rule: UpiRule.amount, expected: "a positive amount with at most two decimals, no separators" },
  mam: { max: 13, pattern: AMOUNT, rule: UpiRule.amount, expected: "a positive amount with at most two decimals, no separators" },
  cu: { max: 3 },
  url: { max: 256 },
  mode: { max: 2, pattern: /^\d{2}$/, rule: UpiRule.code, expected: "two digits" },
  purpose: { max: 2, pattern: /^\d{2}$/, rule: UpiRule.code, expected: "two digits" },
  orgid: { max: 20, pattern: /^[A-Za-z0-9]{1,20}$/, rule: UpiRule.code, expected: "1-20 letters or digits" },
  sign: { max: 512, pattern: BASE64, rule: UpiRule.code, expected: "base64" },
};

function isParameter(key: string): key is UpiParameter {
  return Object.prototype.hasOwnProperty.call(RULES, key);
}

function literal(code: number, extra: string): boolean {
  return (
    (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) ||
    code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e || code === 0x40 || extra.indexOf(String.fromCharCode(code)) >= 0
  );
}

const HEX = "0123456789ABCDEF";
/** `url` holds a URL of its own: its ':', '/', '?' and '=' stay literal, as in NPCI's examples. */
const URL_LITERALS = ":/?=";

/** Percent-encodes a value the way NPCI's examples do. */
export function upiEncode(value: string, key = ""): string {
  const extra = key === "url" ? URL_LITERALS : "";
  let out = "";
  const bytes = utf8Encode(value);
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    out += byte < 0x80 && literal(byte, extra) ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/** Decodes %XX sequences into UTF-8; undefined if a sequence or the resulting UTF-8 is broken. */
function percentDecode(raw: string): string | undefined {
  if (raw.indexOf("%") < 0) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(code);
  }
  return utf8Decode(Uint8Array.from(bytes));
}

/** Characters that may appear unencoded in a link's query (RFC 3986 less '#', which would end it). */
function rawCharacterProblem(raw: string): string | undefined {
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f || "\"<>\\^`{|}#[]".indexOf(raw[i]) >= 0)
      return code === 0x20 ? "a raw space (write %20)" : `${JSON.stringify(raw[i])} (U+${code.toString(16).toUpperCase().padStart(4, "0")}) unencoded`;
  }
  return undefined;
}

function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

function checkValue(problems: UpiProblem[], key: UpiParameter, value: string): void {
  const rule = RULES[key];
  const length = Array.from(value).length;
  if (length === 0 || length > rule.max) {
    problems.push({ severity: "error", rule: UpiRule.length, param: key, message: `${key} has ${length} characters; it takes 1 to ${rule.max}` });
    return;
  }
  if (hasControl(value)) {
    problems.push({ severity: "error", rule: UpiRule.characters, param: key, message: `${key} contains a control character` });
    return;
  }
  if (key === "mam" && value === "null") {
    problems.push({ severity: "warning", rule: UpiRule.amount, param: key, message: 'mam is the literal "null", as in NPCI\'s sample: no minimum amount' });
    return;
  }
  if (key === "cu" && value !== "INR") {
    problems.push({ severity: "error", rule: UpiRule.currency, param: key, message: `currency ${JSON.stringify(value)}: UPI settles in INR only` });
    return;
  }
  if (key === "url" && !/^https?:\/\/[^\s]+$/i.test(value)) {
    problems.push({ severity: "error", rule: UpiRule.url, param: key, message: `url ${JSON.stringify(value)} is not an http:// or https:// URL` });
    return;
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    problems.push({ severity: "error", rule: rule.rule ?? UpiRule.code, param: key, message: `${key} ${JSON.stringify(value)} is not ${rule.expected}` });
    return;
  }
  if ((key === "am" || key === "mam") && !/[1-9]/.test(value))
    problems.push({ severity: "error", rule: UpiRule.amount, param: key, message: `${key} must be more than zero` });
}

/** Parses a link and checks every rule; never throws for bad input. */
export function parseUpi(link: string): UpiParse {
  const problems: UpiProblem[] = [];
  const result: UpiParse = { ok: false, prefix: "", params: [], fields: {}, extra: {}, signed: false, problems };
  if (link.length > MAX_LINK_LENGTH)
    problems.push({ severity: "error", rule: UpiRule.tooLong, param: "", message: `link has ${link.length} characters; at most ${MAX_LINK_LENGTH}` });
  if (link.slice(0, PREFIX.length).toLowerCase() !== PREFIX) {
    problems.push({ severity: "error", rule: UpiRule.scheme, param: "", message: `a UPI payment link begins with ${PREFIX}, this one with ${JSON.stringify(link.slice(0, PREFIX.length))}` });
    return result;
  }
  result.prefix = link.slice(0, PREFIX.length);
  const query = link.slice(PREFIX.length);
  for (const part of query === "" ? [] : query.split("&")) {
    const equals = part.indexOf("=");
    if (equals <= 0) {
      problems.push({ severity: "error", rule: UpiRule.syntax, param: part, message: `${JSON.stringify(part)} is not name=value` });
      continue;
    }
    const key = part.slice(0, equals);
    const raw = part.slice(equals + 1);
    const value = percentDecode(raw);
    result.params.push({ key, raw, value });
    const rawProblem = rawCharacterProblem(raw);
    if (rawProblem) problems.push({ severity: "error", rule: UpiRule.characters, param: key, message: `${key} has ${rawProblem}` });
    if (value === undefined) {
      problems.push({ severity: "error", rule: UpiRule.percent, param: key, message: `${key} has a broken %XX sequence or invalid UTF-8: ${JSON.stringify(raw)}` });
      continue;
    }
    const known = isParameter(key);
    if ((known && result.fields[key] !== undefined) || (!known && Object.prototype.hasOwnProperty.call(result.extra, key))) {
      problems.push({ severity: "error", rule: UpiRule.duplicate, param: key, message: `${key} appears more than once` });
      continue;
    }
    if (!known) {
      problems.push({ severity: "warning", rule: UpiRule.unknown, param: key, message: `${key} is not a parameter of NPCI's linking specification; kept as is` });
      result.extra[key] = value;
      continue;
    }
    result.fields[key] = value;
    checkValue(problems, key, value);
  }
  for (const key of ["pa", "pn"] as const)
    if (result.fields[key] === undefined) problems.push({ severity: "error", rule: UpiRule.missing, param: key, message: `${key} is mandatory` });
  const { am, mam } = result.fields;
  if (am !== undefined && mam !== undefined && AMOUNT.test(am) && AMOUNT.test(mam) && Number(mam) > Number(am))
    problems.push({ severity: "error", rule: UpiRule.amount, param: "mam", message: `minimum amount ${mam} is more than the amount ${am}` });
  result.signed = result.fields.sign !== undefined;
  result.ok = !problems.some((p) => p.severity === "error");
  return result;
}

/** Re-encodes parsed parameters in their order from their decoded values. */
export function encodeUpiParams(prefix: string, params: readonly { key: string; value: string }[]): string {
  return prefix + params.map((p) => `${p.key}=${upiEncode(p.value, p.key)}`).join("&");
}

/**
 * Builds an unsigned link in the specification's parameter order and checks it with parseUpi.
 * `sign` is refused: only the payee's PSP can sign, and it signs the exact text it returns.
 */
export function buildUpi(fields: UpiFields): string {
  if (fields.sign !== undefined)
    throw new UpiError([{ severity: "error", rule: UpiRule.syntax, param: "sign", message: "a signed link comes whole from the PSP; pass it through instead of building it" }]);
  const params: { key: string; value: string }[] = [];
  for (const key of UPI_PARAMETERS) {
    const value = fields[key];
    if (value !== undefined) params.push({ key, value });
  }
  const link = encodeUpiParams(PREFIX, params);
  const parsed = parseUpi(link);
  if (!parsed.ok) throw new UpiError(parsed.problems);
  return link;
}
