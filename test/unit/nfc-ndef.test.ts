/**
 * NDEF (NFC Forum NDEF 1.0, URI RTD, Text RTD): the project's vectors, a cross-check against npm
 * `ndef` in both directions over generated records, chunked records from the spec's layout, and
 * each malformed message refused with a precise error.
 */
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import ndef from "ndef";
import {
  decodeNdef,
  encodeNdef,
  externalRecord,
  mimeRecord,
  parseText,
  parseUri,
  textRecord,
  TNF,
  uriRecord,
  URI_PREFIXES,
  viewRecord,
  type NdefRecord,
} from "../../firmware/nfc/ndef";
import { NfcError } from "../../firmware/nfc/errors";

const vectors = JSON.parse(readFileSync(new URL("../fixtures/nfc-vectors.json", import.meta.url), "utf8")) as { ndef: Record<string, string> };
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
const hexOf = (b: Uint8Array | number[]) => Buffer.from(b).toString("hex").toUpperCase();
const ascii = (text: string) => Uint8Array.from(Buffer.from(text, "latin1"));

/** A small deterministic generator, so a failure names a case that can be run again. */
function generator(seed: number) {
  let x = seed >>> 0;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
  return { int: (n: number) => Math.floor(next() * n), pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)] };
}

describe("NDEF vectors", () => {
  it("URI record https://example.com (prefix code 0x04)", () => {
    const message = encodeNdef([uriRecord("https://example.com")]);
    expect(hexOf(message)).toBe(vectors.ndef.uri_https_example_com);
    expect(parseUri(decodeNdef(message)[0])).toBe("https://example.com");
  });

  it("Text record 'hello' in en", () => {
    const message = encodeNdef([textRecord("hello", "en")]);
    expect(hexOf(message)).toBe(vectors.ndef.text_hello_en);
    expect(parseText(decodeNdef(message)[0])).toEqual({ text: "hello", lang: "en", encoding: "utf-8" });
  });

  it("two records: MB on the first (0x91), ME on the second (0x51)", () => {
    const message = encodeNdef([uriRecord("https://example.com"), textRecord("hello", "en")]);
    expect(hexOf(message.subarray(0, 1))).toBe(vectors.ndef.two_records_first_header);
    const second = 3 + 1 + 12;
    expect(hexOf(message.subarray(second, second + 1))).toBe(vectors.ndef.two_records_second_header);
    expect(decodeNdef(message).map((r) => viewRecord(r).uri ?? viewRecord(r).text)).toEqual(["https://example.com", "hello"]);
  });

  it("every URI prefix code abbreviates its prefix and comes back whole", () => {
    URI_PREFIXES.forEach((prefix, code) => {
      if (code === 0) return;
      const record = uriRecord(`${prefix}x`);
      // "urn:epc:" is a prefix of the longer urn:epc:* codes; the longest match wins.
      expect(URI_PREFIXES[record.payload[0]].length).toBeGreaterThanOrEqual(prefix.length);
      expect(parseUri(decodeNdef(encodeNdef([record]))[0])).toBe(`${prefix}x`);
    });
  });
});

describe("NDEF against npm ndef (both directions)", () => {
  const URIS = ["https://example.com/a?b=c", "http://www.example.org/", "tel:+911234567890", "mailto:shop@example.in", "upi://pay?pa=demo.store@okaxis&pn=Demo%20Store&cu=INR", "urn:nfc:sn:123", "geo:12.97,77.59", "https://www.नमस्ते.example/पथ"];
  const TEXTS = ["hello", "नमस्ते दुनिया", "支付成功", "", "x".repeat(300), "₹ 250.00"];
  const LANGS = ["en", "hi-IN", "zh", "en-US"];

  function randomRecord(g: ReturnType<typeof generator>, i: number): NdefRecord {
    switch (g.int(4)) {
      case 0:
        return uriRecord(g.pick(URIS) + (i % 3 === 0 ? "/" + "p".repeat(g.int(400)) : ""));
      case 1:
        return textRecord(g.pick(TEXTS), g.pick(LANGS));
      case 2:
        return mimeRecord(g.pick(["application/json", "text/plain", "application/vnd.payterm+cbor"]), Uint8Array.from({ length: g.int(600) }, () => g.int(256)));
      default:
        return externalRecord(g.pick(["payterm.com:prov", "example.com:token", "android.com:pkg"]), Uint8Array.from({ length: g.int(300) }, () => g.int(256)));
    }
  }

  it("150 generated messages: ours encode, npm decodes the same records", () => {
    const g = generator(0x5eed);
    for (let n = 0; n < 150; n++) {
      const records = Array.from({ length: 1 + g.int(4) }, (_, i) => randomRecord(g, i));
      const encoded = encodeNdef(records);
      const theirs = ndef.decodeMessage(Array.from(encoded));
      expect(theirs.length).toBe(records.length);
      theirs.forEach((record, i) => {
        expect(record.tnf).toBe(records[i].tnf);
        expect(record.type).toBe(Buffer.from(records[i].type).toString("latin1"));
        expect(Uint8Array.from(record.payload)).toEqual(records[i].payload);
      });
    }
  });

  it("150 generated messages: npm encodes, ours decode to the same bytes, and re-encode identically", () => {
    const g = generator(0xc0ffee);
    for (let n = 0; n < 150; n++) {
      const records = Array.from({ length: 1 + g.int(4) }, (_, i) => randomRecord(g, i));
      // npm ndef writes SR only below 255 bytes; a 255-byte payload is a valid long record there.
      const npmBytes = Uint8Array.from(ndef.encodeMessage(records.map((r) => ndef.record(r.tnf, Array.from(r.type), Array.from(r.id), Array.from(r.payload)))));
      const ours = decodeNdef(npmBytes, { maxRecords: 32, maxPayloadBytes: 1 << 16 });
      expect(ours).toEqual(records.map((r) => ({ tnf: r.tnf, type: r.type, id: r.id, payload: r.payload })));
      if (!records.some((r) => r.payload.length === 255)) expect(encodeNdef(ours)).toEqual(npmBytes);
    }
  });

  it("URI and Text payloads read the same in both libraries", () => {
    for (const uri of URIS) expect(ndef.uri.decodePayload(Array.from(uriRecord(uri).payload))).toBe(uri);
    for (const uri of URIS) expect(parseUri(decodeNdef(Uint8Array.from(ndef.encodeMessage([ndef.uriRecord(uri)])))[0])).toBe(uri);
    for (const text of TEXTS) expect(parseText(decodeNdef(Uint8Array.from(ndef.encodeMessage([ndef.textRecord(text, "hi")])))[0]).text).toBe(text);
    for (const text of TEXTS) expect(ndef.text.decodePayload(Array.from(textRecord(text, "hi").payload))).toBe(text);
  });

  it("records with IDs and long (4-byte length) payloads", () => {
    const record: NdefRecord = { tnf: TNF.MEDIA, type: ascii("application/octet-stream"), id: ascii("#1"), payload: Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff) };
    const encoded = encodeNdef([record]);
    expect(encoded[0]).toBe(0x80 | 0x40 | 0x08 | TNF.MEDIA);
    const theirs = ndef.decodeMessage(Array.from(encoded))[0];
    expect(theirs.id).toEqual(Array.from(record.id));
    expect(theirs.payload.length).toBe(1000);
    expect(decodeNdef(Uint8Array.from(ndef.encodeMessage([theirs])))).toEqual([record]);
  });
});

describe("chunked records (NDEF 1.0 section 2.3.3)", () => {
  it("a payload split in three chunks, by the spec's layout, joins into one record", () => {
    // MB CF SR TNF=1 "T" | CF SR TNF=6 | ME SR TNF=6
    const message = bytes("B1 01 03 54 02 65 6E  36 00 03 68 65 6C  56 00 02 6C 6F");
    const records = decodeNdef(message);
    expect(records.length).toBe(1);
    expect(parseText(records[0])).toEqual({ text: "hello", lang: "en", encoding: "utf-8" });
  });

  it("encodes chunks that decode back, for every chunk size", () => {
    const records = [textRecord("a chunked text record of some length", "en"), uriRecord("https://example.com/after")];
    for (let size = 1; size <= 40; size++) {
      const encoded = encodeNdef(records, { chunkSize: size });
      expect(decodeNdef(encoded)).toEqual(decodeNdef(encodeNdef(records)));
    }
    // The same bytes as the spec-layout message above.
    expect(hexOf(encodeNdef([textRecord("hello", "en")], { chunkSize: 3 }))).toBe("B101035402656E3600036865 6C5600026C6F".replace(/ /g, ""));
  });
});

describe("malformed NDEF: a precise refusal each", () => {
  const cases: [string, string, RegExp][] = [
    ["an empty message", "", /at least one record/],
    ["a payload length past the end", "D1 01 20 55 04 6578616D706C65", /payload length 32 runs past the end \(8 bytes left\)/],
    ["a record of 1 MB declared length", "C1 01 00100000 55 04 6578616D706C65", /payload length 1048576 runs past the end \(8 bytes left\)/],
    ["a type length past the end", "D1 09 00 55", /type length 9 runs past the end/],
    ["an ID length past the end", "D9 01 00 07 55", /ID length 7 runs past the end/],
    ["a header cut short", "C1 01 0000", /header needs 6 bytes, 4 left/],
    ["no MB on the first record", "51 01 01 55 00", /first record must have MB/],
    ["no record flagged ME", "91 01 01 55 00", /ends without a record flagged ME/],
    ["MB on a later record", "91 01 01 55 00 D1 01 01 55 00", /MB set on a record that is not the first/],
    ["bytes after ME", "D1 01 01 55 00 00", /1 bytes follow the record flagged ME/],
    ["the reserved TNF 7", "D7 01 01 55 00", /TNF 0x07 is reserved/],
    ["TNF 6 outside a chunk", "D6 00 01 00", /unchanged\) outside a chunked record/],
    ["a following chunk with a type", "B1 01 01 54 02 36 01 01 54 00", /following chunk must have no type/],
    ["a following chunk that is not TNF 6", "B1 01 01 54 02 51 01 01 54 00", /following chunk must have TNF 0x06/],
    ["ME on the first chunk", "F1 01 01 54 02", /ME set on the first chunk/],
    ["an empty record with a payload", "D0 00 01 00", /empty record \(TNF 0x00\) must have no type, ID or payload/],
    ["a well-known record without a type", "D1 00 00", /needs a type/],
  ];
  it.each(cases)("%s", (_what, hex, message) => {
    let caught: unknown;
    try {
      decodeNdef(bytes(hex));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NfcError);
    expect((caught as NfcError).code).toBe("ndef");
    expect((caught as NfcError).message).toMatch(message);
  });

  it("a payload over the reader's limit is refused before it is copied", () => {
    const big = encodeNdef([mimeRecord("application/octet-stream", new Uint8Array(9000))]);
    expect(() => decodeNdef(big)).toThrow(/payload of 9000 bytes exceeds the limit of 8192/);
  });

  it("chunks that add up past the limit are refused", () => {
    const big = encodeNdef([mimeRecord("application/octet-stream", new Uint8Array(9000))], { chunkSize: 1000 });
    expect(() => decodeNdef(big)).toThrow(/chunked payload of 9000\+ bytes exceeds the limit of 8192/);
  });

  it("URI and Text payloads that break their RTD", () => {
    expect(() => parseUri(decodeNdef(bytes("D1 01 02 55 40 61"))[0])).toThrow(/URI identifier code 0x40 is reserved/);
    expect(() => parseUri(decodeNdef(bytes("D1 01 00 55"))[0])).toThrow(/empty payload/);
    expect(() => parseUri(decodeNdef(bytes("D1 01 02 55 04 C3"))[0])).toThrow(/not valid UTF-8/);
    expect(() => parseText(decodeNdef(bytes("D1 01 02 54 42 65"))[0])).toThrow(/reserved bit 6/);
    expect(() => parseText(decodeNdef(bytes("D1 01 02 54 05 65"))[0])).toThrow(/language code of 5 bytes runs past/);
    expect(() => parseText(decodeNdef(bytes("D1 01 01 54 00"))[0])).toThrow(/without a language code/);
  });

  it("UTF-16 text, with and without a byte order mark", () => {
    expect(parseText(decodeNdef(bytes("D1 01 07 54 82 656E 0048 0069"))[0]).text).toBe("Hi");
    expect(parseText(decodeNdef(bytes("D1 01 09 54 82 656E FFFE 4800 6900"))[0]).text).toBe("Hi");
  });

  it("encoding refuses what NDEF cannot carry", () => {
    expect(() => encodeNdef([])).toThrow(/at least one record/);
    expect(() => encodeNdef([{ tnf: 6, type: new Uint8Array(0), id: new Uint8Array(0), payload: new Uint8Array(0) }])).toThrow(/TNF 6 cannot be encoded/);
    expect(() => mimeRecord("not a mime type", new Uint8Array(0))).toThrow(/not type\/subtype/);
    expect(() => externalRecord("nocolon", new Uint8Array(0))).toThrow(/not domain:type/);
    expect(() => textRecord("x", "")).toThrow(/language code must be 1 to 63/);
  });
});
