/**
 * The bridge between the firmware's key-value store and NVS images. Moddable's `preference`
 * module (modules/files/preference/esp32/modPreference.c) stores a boolean as u8, an integer as
 * i32, a string as a NUL-terminated str and an ArrayBuffer as a blob, with the domain as the NVS
 * namespace, and reads u8 back as a boolean; these functions apply the same mapping both ways.
 */
import { checkKvWrite, type KeyValueStore, type KvValue } from "../../../hal/kv";
import { csvField } from "../csv";
import { variableItemEntries } from "./layout";
import { readNvs, NvsFormatError, type NvsValue } from "./reader";
import { NvsError, NvsWriter } from "./writer";

/** The NVS item a value of the firmware's key-value store becomes, with its payload's size in bytes. */
export type KvNvsItem = { type: "u8" | "i32" } | { type: "string" | "blob"; payloadBytes: number };

const utf8 = new TextEncoder();

export function nvsItemOf(value: KvValue): KvNvsItem {
  if (typeof value === "boolean") return { type: "u8" };
  if (typeof value === "number") return { type: "i32" };
  // nvs_set_str stores the terminating NUL.
  if (typeof value === "string") return { type: "string", payloadBytes: utf8.encode(value).length + 1 };
  return { type: "blob", payloadBytes: value.byteLength };
}

/**
 * NVS entries an item takes when it fits the page it goes to: a primitive one; a string its header
 * and payload; a blob one chunk (header and payload) and its blob_idx entry. A blob that starts
 * near the end of a page is cut into chunks, one header more per chunk.
 */
export function nvsItemEntries(item: KvNvsItem): number {
  if (!("payloadBytes" in item)) return 1;
  return variableItemEntries(item.payloadBytes) + (item.type === "blob" ? 1 : 0);
}

/** Domains in the order they are written, each with its keys in order. */
export type KvDomains = ReadonlyArray<readonly [domain: string, entries: ReadonlyArray<readonly [key: string, value: KvValue]>]>;

function bytesOf(value: ArrayBuffer): Uint8Array {
  return new Uint8Array(value);
}

/** An NVS partition image of `size` bytes holding `domains`; every value passes the device's kv checks first. */
export function encodeKvImage(domains: KvDomains, size: number): Uint8Array {
  const writer = new NvsWriter(size);
  for (const [domain, entries] of domains) {
    writer.namespace(domain);
    for (const [key, value] of entries) {
      checkKvWrite(domain, key, value);
      if (typeof value === "boolean") writer.u8(key, value ? 1 : 0);
      else if (typeof value === "number") writer.i32(key, value);
      else if (typeof value === "string") writer.string(key, value);
      else writer.blob(key, bytesOf(value));
    }
  }
  return writer.finish();
}

/**
 * The same contents as an input file for ESP-IDF's nvs_partition_gen.py
 * (`python -m esp_idf_nvs_partition_gen generate FILE.csv OUT.bin SIZE`), which writes the same bytes.
 */
export function encodeKvCsv(domains: KvDomains): string {
  const lines = ["key,type,encoding,value"];
  // The generator drops every line that starts with '#', so such names, and strings whose
  // continuation lines could, are refused rather than silently lost.
  const unsafe = (name: string) => name.startsWith("#");
  for (const [domain, entries] of domains) {
    if (unsafe(domain)) throw new NvsError("namespace", `${domain}: a name starting with '#' is a comment to nvs_partition_gen.py`);
    lines.push(`${domain},namespace,,`);
    for (const [key, value] of entries) {
      checkKvWrite(domain, key, value);
      if (unsafe(key)) throw new NvsError("key", `${domain}/${key}: a key starting with '#' is a comment to nvs_partition_gen.py`);
      if (typeof value === "boolean") lines.push(`${key},data,u8,${value ? 1 : 0}`);
      else if (typeof value === "number") lines.push(`${key},data,i32,${value}`);
      else if (typeof value === "string") {
        if (/[\r\n]/.test(value)) throw new NvsError("value", `${domain}/${key}: line breaks in a string do not survive nvs_partition_gen.py's CSV reader`);
        lines.push(`${key},data,string,${csvField(value)}`);
      } else lines.push(`${key},data,hex2bin,${Buffer.from(value).toString("hex")}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** What `Preference.get` returns for an NVS value; types the preference module never writes are refused. */
export function kvValueOf(value: NvsValue, where: string): KvValue {
  switch (value.type) {
    case "u8":
      return value.value !== 0;
    case "i32":
      return value.value;
    case "string":
      return value.value;
    case "blob": {
      const copy = value.value.slice();
      return copy.buffer;
    }
    default:
      throw new NvsFormatError(`${where}: type ${value.type} is not one the firmware's key-value store reads (u8, i32, string, blob)`);
  }
}

/** Reads an image and stores every value in `kv`, as the device would find them; returns the domains. */
export function loadNvsIntoKv(image: Uint8Array, kv: KeyValueStore): KvDomains {
  const { namespaces } = readNvs(image);
  const domains: [string, [string, KvValue][]][] = [];
  // Convert everything before the first write, so a bad image leaves the store untouched.
  for (const [domain, entries] of namespaces) {
    const converted: [string, KvValue][] = [];
    for (const [key, value] of entries) converted.push([key, kvValueOf(value, `${domain}/${key}`)]);
    domains.push([domain, converted]);
  }
  for (const [domain, entries] of domains) for (const [key, value] of entries) kv.set(domain, key, value);
  return domains;
}
