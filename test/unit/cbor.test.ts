import { describe, expect, it } from "@jest/globals";
import { encode as cborxEncodeDefault } from "cbor-x";
import { decodeProtocolCbor, encodeProtocolCbor } from "../../host-sim/service/cbor";
import { CborError, decodeCbor, encodeCbor } from "../../firmware/protocol/cbor";
import { fromHex, toHex } from "../../firmware/protocol/bytes";

const hex = (h: string) => fromHex(h.replace(/\s+/g, "")) as Uint8Array;

describe("strict CBOR reader (RFC 8949 Appendix A examples)", () => {
  it.each([
    ["00", 0],
    ["17", 23],
    ["1818", 24],
    ["1903e8", 1000],
    ["1a000f4240", 1000000],
    ["1b000000e8d4a51000", 1000000000000],
    ["20", -1],
    ["3863", -100],
    ["f4", false],
    ["f5", true],
    ["f6", null],
    ["6161", "a"],
    ["6449455446", "IETF"],
    ["62c3bc", "\u00fc"],
    ["63e6b0b4", "\u6c34"],
    ["64f0908591", "\ud800\udd51"],
  ])("decodes %s", (input, expected) => {
    expect(decodeCbor(hex(input))).toEqual(expected);
  });

  it("decodes integers past 2^53 as BigInt, so callers refuse them knowingly", () => {
    expect(decodeCbor(hex("1bffffffffffffffff"))).toBe(18446744073709551615n);
    expect(decodeCbor(hex("3bffffffffffffffff"))).toBe(-18446744073709551616n);
  });

  it.each([
    ["c074323031332d30332d32315432303a30343a30305a", "tags are not accepted"],
    ["f93c00", "floating-point values are not accepted"],
    ["5f42010243030405ff", "indefinite lengths are not accepted"],
    ["9f018202039f0405ffff", "indefinite lengths are not accepted"],
    ["f7", "simple value 23 is not accepted"],
    ["a201020304", "map keys must be text strings"],
    ["a2616101616102", "duplicate map key"],
    ["65616263", "runs past the end"],
    ["0001", "trailing bytes"],
    ["62c328", "not valid UTF-8"],
    ["", "unexpected end of input"],
    ["818181818181", "nesting deeper than 4"],
    ["5bffffffffffffffff", "runs past the end"],
  ])("refuses %s (%s)", (input, message) => {
    expect(() => decodeCbor(hex(input))).toThrow(CborError);
    expect(() => decodeCbor(hex(input))).toThrow(message);
  });

  it("reads and writes the same bytes as cbor-x configured for the protocol", () => {
    const value = { v: 1, txn: "T-1", amt: 25000, cur: "INR", bytes: new Uint8Array([1, 2, 3]), ok: true, neg: -70000, ts: 1763720000000 };
    const ours = encodeCbor(value);
    expect(toHex(encodeProtocolCbor(value))).toBe(toHex(ours));
    expect(decodeCbor(encodeProtocolCbor(value))).toEqual(value);
    const back = decodeProtocolCbor(ours) as Record<string, unknown>;
    expect({ ...back, bytes: new Uint8Array(back.bytes as Uint8Array) }).toEqual(value);
  });

  it("refuses cbor-x's default output, which tags byte strings and writes big integers as floats", () => {
    const bytes = new Uint8Array(cborxEncodeDefault({ body: new Uint8Array([1]), ts: 1763720000000 }));
    expect(() => decodeCbor(bytes)).toThrow(CborError);
  });
});
