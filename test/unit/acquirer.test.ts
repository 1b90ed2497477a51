/**
 * The simulator's acquirer policy (host-sim/nfc/acquirer.ts) and the service's charge book it
 * claims charges in: only an instrument it issued (UID and AID together) settles, only an open
 * charge for its own amount, and only once.
 */
import { describe, expect, it } from "@jest/globals";
import { Acquirer, SIM_ISSUED } from "../../host-sim/nfc/acquirer";
import type { TapEvent } from "../../host-sim/nfc/tap-receiver";
import { ChargeBook } from "../../host-sim/service/charge-book";

const CARD = SIM_ISSUED.find((i) => i.provider === "card")!;
const WALLET = SIM_ISSUED.find((i) => i.provider === "Google Pay")!;
const NOW = 1_700_000_000_000;

function tap(fields: Partial<TapEvent>): TapEvent {
  return { deviceId: "qr-1", uid: CARD.uid, kind: "type4", atqa: 4, sak: 0x20, at: NOW, ndef: undefined, records: undefined, ndefError: undefined, aid: CARD.aid, charge: { reference: "R1", amountMinor: 5000, currency: "INR" }, ...fields };
}

function book(now = NOW): ChargeBook {
  const b = new ChargeBook(() => now);
  b.shown({ deviceId: "qr-1", reference: "R1", amountMinor: 5000, currency: "INR", expiresAt: NOW + 60_000 });
  return b;
}

describe("the simulator's acquirer", () => {
  it("settles an open charge tapped with an instrument it issued, at the charge's amount, once", () => {
    const b = book();
    const first = new Acquirer().decide(tap({}), b);
    expect(first).toMatchObject({ settle: true, instrument: CARD, charge: { reference: "R1", amountMinor: 5000, status: "settling" } });
    expect(new Acquirer().decide(tap({ uid: WALLET.uid, aid: WALLET.aid }), b)).toEqual({
      settle: false,
      reason: "charge_not_open",
      detail: "charge R1 is settling",
      instrument: WALLET,
    });
  });

  it("anything it did not issue is not a payment instrument, whatever the charge", () => {
    const acquirer = new Acquirer();
    const declined = (fields: Partial<TapEvent>) => {
      const decision = acquirer.decide(tap(fields), book());
      return decision.settle ? "settled" : `${decision.reason}: ${decision.detail}`;
    };
    expect(declined({ kind: "card", uid: "6e8ae2b0", aid: undefined })).toBe("not_payment_instrument: a card that gives only its UID (UID 6e8ae2b0)");
    expect(declined({ kind: "type2", uid: "047bcb51962280", aid: undefined, records: [{ tnf: "well-known", type: "U", uri: "https://x" }] as TapEvent["records"] })).toBe(
      "not_payment_instrument: an NDEF tag (UID 047bcb51962280)",
    );
    expect(declined({ aid: "a0000000041010", uid: "3c9e20d4" })).toBe("not_payment_instrument: payment application a0000000041010 on UID 3c9e20d4 is not an instrument this acquirer issued");
    // The card's UID with another application, or its application on another UID, is not the card.
    expect(declined({ aid: WALLET.aid })).toMatch(/^not_payment_instrument: payment application a0000000031010 on UID 5a317c09/);
    expect(declined({ uid: WALLET.uid })).toMatch(/^not_payment_instrument: payment application a0000005241010 on UID 08b7441e/);
  });

  it("an issued instrument still needs an open charge offered at its amount", () => {
    const acquirer = new Acquirer();
    const declined = (fields: Partial<TapEvent>, b = book()) => {
      const decision = acquirer.decide(tap(fields), b);
      return decision.settle ? "settled" : `${decision.reason}: ${decision.detail}`;
    };
    expect(declined({ charge: undefined })).toBe("no_charge: the display offered no charge");
    expect(declined({ charge: { reference: "R2", amountMinor: 5000, currency: "INR" } })).toBe("unknown_charge: the service put no charge R2 on qr-1");
    expect(declined({ deviceId: "qr-2" })).toBe("unknown_charge: the service put no charge R1 on qr-2");
    expect(declined({ charge: { reference: "R1", amountMinor: 5001, currency: "INR" } })).toBe("amount_differs: offered as 5001 INR (minor units); the charge is 5000 INR");
    expect(declined({ charge: { reference: "R1", amountMinor: 5000, currency: "USD" } })).toBe("amount_differs: offered as 5000 USD (minor units); the charge is 5000 INR");
    expect(declined({}, book(NOW + 60_000))).toBe("charge_not_open: charge R1 expired 0 ms ago");
    const paid = book();
    paid.acked({ deviceId: "qr-1", reference: "R1", status: "paid" });
    expect(declined({}, paid)).toBe("charge_not_open: charge R1 is paid");
  });
});

describe("the charge book", () => {
  it("a redelivered shown or a rejected request changes nothing; how a charge ended closes it", () => {
    const b = book();
    b.acked({ deviceId: "qr-1", reference: "R1", status: "shown" });
    b.acked({ deviceId: "qr-1", reference: "R1", status: "rejected" });
    expect(b.get("qr-1", "R1")?.status).toBe("shown");
    b.acked({ deviceId: "qr-1", reference: "R1", status: "cancelled" });
    expect(b.get("qr-1", "R1")?.status).toBe("cancelled");
  });

  it("a released claim is open again", () => {
    const b = book();
    expect(b.claim("qr-1", "R1", 5000, "INR").ok).toBe(true);
    b.release("qr-1", "R1");
    expect(b.claim("qr-1", "R1", 5000, "INR").ok).toBe(true);
  });

  it("keeps at most its capacity, forgetting the oldest", () => {
    const b = new ChargeBook(() => NOW, 2);
    for (const reference of ["A", "B", "C"]) b.shown({ deviceId: "qr-1", reference, amountMinor: 1, currency: "INR", expiresAt: NOW + 1 });
    expect(["A", "B", "C"].map((r) => b.get("qr-1", r)?.reference)).toEqual([undefined, "B", "C"]);
  });
});
