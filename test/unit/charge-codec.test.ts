/**
 * The charge messages have one codec, in the firmware: what the payment service writes
 * (chargeRequestBody, via host-sim/service/charges.ts) the display reads back field for field,
 * and the display's acks decode to what it encoded. Anything that is not an ack decodes to
 * undefined rather than throwing.
 */
import { describe, expect, it } from "@jest/globals";
import { decodeCbor, encodeCbor } from "../../firmware/protocol/cbor";
import { decodeChargeAck, encodeChargeAck, type ChargeAck } from "../../firmware/qr-display/charge-ack";
import { chargeRequestBody, parseChargeRequest, type ShowCharge } from "../../firmware/qr-display/charge-request";
import { encodeCancelBody, encodeChargeBody, parseChargeAck } from "../../host-sim/service/charges";

const EVERY_EMV_FIELD: ShowCharge = {
  op: "show",
  reference: "INV-7.a_1",
  amountMinor: 123_456,
  currency: "INR",
  issuedAt: 1_700_000_000_000,
  expiresAt: 1_700_000_300_000,
  deviceId: "qr-1",
  upi: { fields: { pa: "shop@bank", pn: "Shop" } },
  emv: {
    accounts: { "26": "0010com.example0108shop@bnk", "51": "0004test" },
    mcc: "5812",
    country: "IN",
    name: "Shop",
    city: "Pune",
    postalCode: "411001",
    language: { preference: "hi", name: "दुकान", city: "पुणे" },
    billNumber: "B-1",
    storeLabel: "S-1",
    terminalLabel: "T-1",
    purpose: "lunch",
    label: "UPI Global",
  },
};

describe("charge requests", () => {
  it("the body the service writes reads back as the same charge, every field", () => {
    expect(parseChargeRequest(decodeCbor(encodeCbor(chargeRequestBody(EVERY_EMV_FIELD))))).toEqual(EVERY_EMV_FIELD);
  });

  it("every UPI parameter too (a body within the device's 64 CBOR items)", () => {
    const charge: ShowCharge = {
      ...EVERY_EMV_FIELD,
      upi: { fields: { pa: "shop@bank", pn: "Shop", mc: "5812", tid: "T1", tn: "table 4", mam: "1.00", url: "https://shop.example", mode: "01", purpose: "00", orgid: "000000" } },
      emv: undefined,
    };
    expect(parseChargeRequest(decodeCbor(encodeCbor(chargeRequestBody(charge))))).toEqual(charge);
  });

  it("a complete link and a complete payload travel alone", () => {
    const charge: ShowCharge = { ...EVERY_EMV_FIELD, upi: { link: "upi://pay?pa=shop@bank&pn=Shop&am=1234.56&cu=INR", fields: {} }, emv: { payload: "000201", accounts: {}, label: "X" } };
    const body = chargeRequestBody(charge);
    expect(body.upi).toEqual({ link: "upi://pay?pa=shop@bank&pn=Shop&am=1234.56&cu=INR" });
    expect(body.emv).toEqual({ payload: "000201", label: "X" });
    expect(parseChargeRequest(body)).toEqual(charge);
  });

  it("the service's flat spec and its cancel become the device's requests", () => {
    const show = encodeChargeBody({ deviceId: "qr-1", amountMinor: 500, currency: "INR", reference: "R1", upi: { pa: "a@b", pn: "A" }, emv: { accounts: { "26": "x" }, city: "Pune" } }, 10, 20);
    expect(parseChargeRequest(decodeCbor(show))).toEqual({
      op: "show",
      reference: "R1",
      amountMinor: 500,
      currency: "INR",
      issuedAt: 10,
      expiresAt: 20,
      deviceId: "qr-1",
      upi: { fields: { pa: "a@b", pn: "A" } },
      emv: { accounts: { "26": "x" }, city: "Pune" },
    });
    expect(parseChargeRequest(decodeCbor(encodeCancelBody("qr-1", "R1", 30)))).toEqual({ op: "cancel", reference: "R1", issuedAt: 30, deviceId: "qr-1" });
  });
});

describe("charge acks", () => {
  it("decode to what the display encoded", () => {
    const acks: ChargeAck[] = [
      { status: "shown", reference: "R1", codes: { upi: "upi://pay?pa=a@b", emv: "000201" }, at: 5 },
      { status: "rejected", reference: undefined, reason: "bad_tag", message: "tag does not match", at: 6 },
      { status: "mismatch", reference: "R1", transactionId: "T1", amountMinor: 499, currency: "INR", at: 7 },
    ];
    for (const ack of acks) expect(decodeChargeAck(encodeChargeAck(ack))).toEqual(ack);
    expect(parseChargeAck("qr-1", encodeChargeAck(acks[0]))).toEqual({ deviceId: "qr-1", ...acks[0] });
  });

  it("anything else is not an ack", () => {
    expect(decodeChargeAck(Uint8Array.of(0xff))).toBeUndefined();
    expect(decodeChargeAck(encodeCbor([1, 2]))).toBeUndefined();
    expect(decodeChargeAck(encodeCbor({ v: 2, st: "paid", at: 1 }))).toBeUndefined();
    expect(decodeChargeAck(encodeCbor({ v: 1, st: "settled", at: 1 }))).toBeUndefined();
    expect(decodeChargeAck(encodeCbor({ v: 1, st: "paid" }))).toBeUndefined();
  });
});
