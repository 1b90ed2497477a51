import { describe, expect, it } from "@jest/globals";
import { encode as cborxEncodeDefault } from "cbor-x";
import { decodeProtocolCbor, encodeProtocolCbor } from "../../host-sim/service/cbor";
import { CborError, decodeCbor, encodeCbor } from "../../firmware/protocol/cbor";
import { toHex } from "../../firmware/protocol/bytes";

/**
 * The device's strict CBOR against cbor-x, the encoder the payment service uses. The RFC 8949
 * vectors and refusals live in test/xs/checks/cbor.check.ts, which runs on XS and on Node.
 */
describe("strict CBOR and cbor-x", () => {
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
