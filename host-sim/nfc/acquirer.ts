/**
 * The simulator's acquirer: what a verified tap is worth. It settles the charge a tap names only
 * when the tapped thing is a payment instrument it issued (its UID together with the payment
 * application its PPSE directory named, bound to a card brand or a wallet), the charge is one the
 * service put on that display and still open, and the display offered it for the charge's
 * amount. Anything else settles nothing and is declined with a reason: a tag, a card that gives
 * only its UID, a payment card from elsewhere, a tap with no charge on offer, a charge that is
 * unknown, closed, being paid or offered for another amount.
 *
 * A simulation policy, not a payment system: a real acquirer authorises with the card's issuer on
 * an EMV cryptogram over the amount and an unpredictable number (ARQC), and the reader runs an
 * EMV kernel; nothing here makes or checks one, so a copied UID and AID would pass.
 */
import { toHex } from "../../firmware/protocol/bytes";
import type { BookedCharge, ChargeBook, ClaimRefusal } from "../service/charge-book";
import { SIM_INSTRUMENTS } from "./simulated-nfc";
import type { TapEvent } from "./tap-receiver";

export interface IssuedInstrument {
  /** NFCID1, hex. */
  uid: string;
  /** The payment application's AID, hex. */
  aid: string;
  /** What the confirmation names as the provider ("card", a wallet's name). */
  provider: string;
  label: string;
}

export type DeclineReason = "not_payment_instrument" | "no_charge" | ClaimRefusal;

export type TapDecision =
  | { settle: true; instrument: IssuedInstrument; charge: BookedCharge }
  | { settle: false; reason: DeclineReason; detail: string; instrument: IssuedInstrument | undefined };

/** The instruments the simulator's acquirer issued: the simulated card and phone wallet. */
export const SIM_ISSUED: readonly IssuedInstrument[] = [
  { uid: toHex(SIM_INSTRUMENTS["payment-card"].uid), aid: toHex(SIM_INSTRUMENTS["payment-card"].aid), provider: "card", label: "RuPay card" },
  { uid: toHex(SIM_INSTRUMENTS["phone-wallet"].uid), aid: toHex(SIM_INSTRUMENTS["phone-wallet"].aid), provider: "Google Pay", label: "Google Pay wallet (Visa token)" },
];

function described(tap: TapEvent): string {
  if (tap.aid !== undefined) return `payment application ${tap.aid} on UID ${tap.uid} is not an instrument this acquirer issued`;
  const what = tap.kind === "card" ? "a card that gives only its UID" : tap.records?.length ? "an NDEF tag" : "a tag without a payment application";
  return `${what} (UID ${tap.uid})`;
}

export class Acquirer {
  readonly #issued = new Map<string, IssuedInstrument>();

  constructor(instruments: readonly IssuedInstrument[] = SIM_ISSUED) {
    for (const instrument of instruments) this.#issued.set(`${instrument.uid}/${instrument.aid}`, instrument);
  }

  /** Decides a verified tap; a "settle" decision has claimed the charge in `book`. */
  decide(tap: TapEvent, book: ChargeBook): TapDecision {
    const instrument = tap.aid === undefined ? undefined : this.#issued.get(`${tap.uid}/${tap.aid}`);
    if (!instrument) return { settle: false, reason: "not_payment_instrument", detail: described(tap), instrument };
    if (!tap.charge) return { settle: false, reason: "no_charge", detail: "the display offered no charge", instrument };
    const claim = book.claim(tap.deviceId, tap.charge.reference, tap.charge.amountMinor, tap.charge.currency);
    if (!claim.ok) return { settle: false, reason: claim.reason, detail: claim.detail, instrument };
    return { settle: true, instrument, charge: claim.charge };
  }
}
