/**
 * The data-object layer of EMV QR codes (EMV QRCPS MPM section 4.3): a two-digit id, a two-digit
 * length and that many characters of value. Lengths count characters (Unicode code points), not
 * bytes, so a value in Chinese takes as many length units as it has characters.
 */

export interface DataObject {
  id: string;
  value: string;
  /** Character offset of the id in the whole payload, for error messages. */
  at: number;
  /** The data objects inside a template's value, when the id is a template. */
  children?: DataObject[];
}

/** Why the objects of a text could not all be read; `at` is the character offset in the payload. */
export class TlvError extends Error {
  constructor(readonly rule: "tlv_id" | "tlv_length" | "tlv_truncated" | "empty_value", readonly at: number, message: string) {
    super(message);
    this.name = "TlvError";
  }
}

export const MAX_VALUE_LENGTH = 99;

const DIGIT_0 = 48;
const DIGIT_9 = 57;

function twoDigits(chars: readonly string[], index: number): number | undefined {
  if (index + 2 > chars.length) return undefined;
  const a = chars[index].charCodeAt(0), b = chars[index + 1].charCodeAt(0);
  if (chars[index].length !== 1 || chars[index + 1].length !== 1) return undefined;
  if (a < DIGIT_0 || a > DIGIT_9 || b < DIGIT_0 || b > DIGIT_9) return undefined;
  return (a - DIGIT_0) * 10 + (b - DIGIT_0);
}

/** Splits text into code points; a lone surrogate stays one element. */
export function codePoints(text: string): string[] {
  return Array.from(text);
}

export function characterCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/**
 * Reads consecutive data objects from `chars[start, end)` into `objects`. Stops with a TlvError
 * at the first object whose id or length is not two digits, or whose length runs past `end`:
 * past that point nothing can be trusted, but what was read before it stays in `objects`.
 * `base` is added to offsets so nested objects report payload positions.
 */
export function readObjects(chars: readonly string[], start: number, end: number, base = 0, objects: DataObject[] = []): DataObject[] {
  let index = start;
  while (index < end) {
    const at = base + index;
    if (end - index < 4) throw new TlvError("tlv_truncated", at, `${end - index} character(s) left at offset ${at}, too few for an id and a length`);
    const id = twoDigits(chars, index);
    if (id === undefined) throw new TlvError("tlv_id", at, `id at offset ${at} is ${JSON.stringify(chars.slice(index, index + 2).join(""))}, not two digits`);
    const idText = chars[index] + chars[index + 1];
    const length = twoDigits(chars, index + 2);
    if (length === undefined)
      throw new TlvError("tlv_length", at + 2, `length of ${idText} at offset ${at + 2} is ${JSON.stringify(chars.slice(index + 2, index + 4).join(""))}, not two digits`);
    if (length === 0) throw new TlvError("empty_value", at, `${idText} at offset ${at} has length 00; a present data object has 1 to 99 characters`);
    const valueStart = index + 4;
    if (valueStart + length > end)
      throw new TlvError("tlv_truncated", at, `${idText} at offset ${at} declares ${length} characters but only ${end - valueStart} remain`);
    objects.push({ id: idText, value: chars.slice(valueStart, valueStart + length).join(""), at });
    index = valueStart + length;
  }
  return objects;
}

/** Reads a template's value as data objects of its own. */
export function readTemplate(object: DataObject): DataObject[] {
  const chars = codePoints(object.value);
  return readObjects(chars, 0, chars.length, object.at + 4);
}

/** One data object as text; refuses what the two-digit fields cannot express. */
export function writeObject(id: string, value: string): string {
  if (!/^\d\d$/.test(id)) throw new RangeError(`data object id must be two digits, got ${JSON.stringify(id)}`);
  const length = characterCount(value);
  if (length === 0 || length > MAX_VALUE_LENGTH) throw new RangeError(`${id}: value of ${length} characters; a data object holds 1 to ${MAX_VALUE_LENGTH}`);
  return id + (length < 10 ? "0" : "") + length + value;
}

/** Writes objects back as text, children first when a template's were changed. */
export function writeObjects(objects: readonly DataObject[]): string {
  let out = "";
  for (const object of objects) out += writeObject(object.id, object.children ? writeObjects(object.children) : object.value);
  return out;
}
