/**
 * The strict CBOR codec (firmware/protocol/cbor.ts) on XS, against RFC 8949 Appendix A vectors
 * and the refusals the protocol relies on (RFC 8949 section numbers in the names).
 */
import { toHex, utf8Decode, utf8Encode } from "../../../firmware/protocol/bytes";
import { utf8Length } from "../../../hal/utf8";
import { CborError, decodeCbor, encodeCbor, type CborValue } from "../../../firmware/protocol/cbor";
import { check, done, equal, hex, throws } from "./assert";

const DECODE: [string, CborValue][] = [
  ["00", 0],
  ["17", 23],
  ["1818", 24],
  ["1903e8", 1000],
  ["1a000f4240", 1000000],
  ["1b000000e8d4a51000", 1000000000000],
  ["1b001fffffffffffff", Number.MAX_SAFE_INTEGER],
  ["20", -1],
  ["3863", -100],
  ["3903e7", -1000],
  ["f4", false],
  ["f5", true],
  ["f6", null],
  ["40", new Uint8Array(0)],
  ["4401020304", new Uint8Array([1, 2, 3, 4])],
  ["60", ""],
  ["6161", "a"],
  ["6449455446", "IETF"],
  ["62225c", '"\\'],
  ["62c3bc", "\u00fc"],
  ["63e6b0b4", "\u6c34"],
  ["64f0908591", "\ud800\udd51"],
  ["80", []],
  ["83010203", [1, 2, 3]],
  ["8301820203820405", [1, [2, 3], [4, 5]]],
  ["a0", {}],
  ["a26161016162820203", { a: 1, b: [2, 3] }],
  ["826161a161626163", ["a", { b: "c" }]],
];

for (const [input, expected] of DECODE) check(`decode A ${input}`, () => equal(decodeCbor(hex(input)), expected, input));

check("decode A 1bffffffffffffffff as BigInt (3.1: beyond 2^53)", () => {
  equal(decodeCbor(hex("1bffffffffffffffff")), 18446744073709551615n);
  equal(decodeCbor(hex("3bffffffffffffffff")), -18446744073709551616n);
  equal(decodeCbor(hex("1b0020000000000000")), 9007199254740992n);
});

const REFUSE: [string, string][] = [
  ["c074323031332d30332d32315432303a30343a30305a", "tags are not accepted"],
  ["c249010000000000000000", "tags are not accepted"],
  ["f93c00", "floating-point values are not accepted"],
  ["fb3ff199999999999a", "floating-point values are not accepted"],
  ["5f42010243030405ff", "indefinite lengths are not accepted"],
  ["9f018202039f0405ffff", "indefinite lengths are not accepted"],
  ["bf61610161629f0203ffff", "indefinite lengths are not accepted"],
  ["f7", "simple value 23 is not accepted"],
  ["f0", "simple value 16 is not accepted"],
  ["1c", "reserved additional information 28"],
  ["a201020304", "map keys must be text strings"],
  ["a2616101616102", "duplicate map key"],
  ["65616263", "runs past the end"],
  ["0001", "trailing bytes"],
  ["62c328", "not valid UTF-8"],
  ["62c0af", "not valid UTF-8"],
  ["63eda080", "not valid UTF-8"],
  ["", "unexpected end of input"],
  ["18", "unexpected end of input"],
  ["818181818181", "nesting deeper than 4"],
  ["5bffffffffffffffff", "runs past the end"],
];

for (const [input, message] of REFUSE) check(`refuse ${input || "(empty)"}: ${message}`, () => throws(() => decodeCbor(hex(input)), message, CborError));

check("refuse more than 64 items", () => {
  const bytes = new Uint8Array(1 + 2 + 65);
  bytes.set([0x98, 65]);
  throws(() => decodeCbor(bytes), "more than 64 items", CborError);
});

const ENCODE: [CborValue, string][] = [
  [0, "00"],
  [23, "17"],
  [24, "1818"],
  [255, "18ff"],
  [256, "190100"],
  [65535, "19ffff"],
  [65536, "1a00010000"],
  [4294967295, "1affffffff"],
  [4294967296, "1b0000000100000000"],
  [1000000000000, "1b000000e8d4a51000"],
  [-1, "20"],
  [-24, "37"],
  [-25, "3818"],
  [-1000, "3903e7"],
  [-70000, "3a0001116f"],
  [false, "f4"],
  [true, "f5"],
  [null, "f6"],
  ["", "60"],
  ["IETF", "6449455446"],
  ["\u00fc", "62c3bc"],
  ["\ud800\udd51", "64f0908591"],
  [new Uint8Array([1, 2, 3, 4]), "4401020304"],
  [[1, [2, 3], [4, 5]], "8301820203820405"],
  [{ a: 1, b: [2, 3] }, "a26161016162820203"],
];

for (const [value, expected] of ENCODE) check(`encode ${expected}`, () => equal(toHex(encodeCbor(value)), expected, "bytes"));

check("encode refuses what it cannot write exactly", () => {
  throws(() => encodeCbor(1.5), "only safe integers");
  throws(() => encodeCbor(2 ** 53), "only safe integers");
  throws(() => encodeCbor(1n), "BigInt values are not written");
});

check("round trip of a payment body", () => {
  const body = { v: 1, txn: "T-000123", amt: 25050, cur: "INR", prov: "UPI", ts: 1763720000000, dev: "sb-0001", exp: 1763720060000 };
  equal(decodeCbor(encodeCbor(body)), body);
});


check("UTF-8: lengths and bytes of one to four byte characters, and a lone surrogate as three", () => {
  const cases: [string, string][] = [
    ["a", "61"],
    ["\u00e9", "c3a9"],
    ["\u20b9", "e282b9"],
    ["\ud83d\udcb0", "f09f92b0"],
    ["\ud800", "eda080"],
    ["x\udc00y", "78edb08079"],
    ["\ud800\u20b9", "eda080e282b9"],
    ["\u0930\u0941\u092a\u092f\u0947 25", "e0a4b0e0a581e0a4aae0a4afe0a587203235"],
  ];
  for (const [text, bytes] of cases) {
    equal(toHex(utf8Encode(text)), bytes, JSON.stringify(text));
    equal(utf8Length(text), bytes.length / 2, `length of ${JSON.stringify(text)}`);
  }
});

check("UTF-8: long ASCII runs and mixed text decode to the text encoded", () => {
  let ascii = "";
  for (let i = 0; i < 3000; i++) ascii += String.fromCharCode(32 + (i % 95));
  const mixed = `${ascii}\u20b9${ascii.slice(0, 1500)}\ud83d\udcb0end`;
  equal(utf8Decode(utf8Encode(ascii)), ascii, "ascii");
  equal(utf8Decode(utf8Encode(mixed)), mixed, "mixed");
  equal(decodeCbor(encodeCbor({ t: mixed })), { t: mixed });
});

check("encode: a value larger than the kept writer, then a small one, each exact", () => {
  const big = new Uint8Array(5000).map((_, i) => i & 0xff);
  const encoded = encodeCbor({ b: big, s: "\u20b9".repeat(400) });
  equal(encoded.length, 1 + 2 + 3 + 5000 + 2 + 3 + 1200);
  equal(decodeCbor(encoded), { b: big, s: "\u20b9".repeat(400) });
  equal(toHex(encodeCbor([1, "a"])), "82016161");
});

check("encode: a value that throws half way leaves the next encoding whole", () => {
  throws(() => encodeCbor({ a: "x".repeat(100), b: 1.5 }), "only safe integers");
  equal(toHex(encodeCbor({ a: 1 })), "a1616101");
});

check("decoded maps inherit nothing: __proto__ and toString are plain keys", () => {
  // {"__proto__": 1, "toString": 2}
  const map = decodeCbor(hex("a2695f5f70726f746f5f5f0168746f537472696e6702")) as Record<string, unknown>;
  equal(Object.keys(map), ["__proto__", "toString"]);
  equal(map["__proto__"], 1);
  equal(map.toString, 2);
  equal(Object.getPrototypeOf(Object.getPrototypeOf(map)), null);
  equal("hasOwnProperty" in map, false);
  throws(() => decodeCbor(hex("a2695f5f70726f746f5f5f01695f5f70726f746f5f5f02")), "duplicate map key", CborError);
});

done();
