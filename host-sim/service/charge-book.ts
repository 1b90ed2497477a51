/**
 * The charges the service has put on displays, and where each stands by the displays' charge
 * acks: the service's answer to "may this charge still be paid, and for how much?". The
 * simulator's acquirer claims a charge here before it settles a tap, so two taps cannot both pay
 * it. Bounded: past `capacity` charges the oldest are forgotten.
 */
import type { ChargeStatus } from "../../firmware/qr-display/charge-ack";

/** "settling": claimed for a payment whose confirmation is on its way. */
export type BookStatus = "shown" | "settling" | Exclude<ChargeStatus, "shown" | "rejected">;

export interface BookedCharge {
  deviceId: string;
  reference: string;
  amountMinor: number;
  currency: string;
  expiresAt: number;
  status: BookStatus;
}

export type ClaimRefusal = "unknown_charge" | "charge_not_open" | "amount_differs";

export type Claim = { ok: true; charge: BookedCharge } | { ok: false; reason: ClaimRefusal; detail: string };

const DEFAULT_CAPACITY = 1000;

function keyOf(deviceId: string, reference: string): string {
  // Device ids never hold a slash (firmware/protocol/topics.ts).
  return `${deviceId}/${reference}`;
}

export class ChargeBook {
  readonly #charges = new Map<string, BookedCharge>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  /** A charge the display acked as shown. */
  shown(charge: Omit<BookedCharge, "status">): void {
    const key = keyOf(charge.deviceId, charge.reference);
    this.#charges.delete(key);
    this.#charges.set(key, { ...charge, status: "shown" });
    if (this.#charges.size > this.capacity) this.#charges.delete(this.#charges.keys().next().value as string);
  }

  /**
   * A charge ack from a display. How a charge ended closes it; "shown" (a redelivery) and
   * "rejected" (a refused request, possibly a cancel for it) change nothing.
   */
  acked(ack: { deviceId: string; reference: string | undefined; status: ChargeStatus }): void {
    if (ack.reference === undefined || ack.status === "shown" || ack.status === "rejected") return;
    const charge = this.#charges.get(keyOf(ack.deviceId, ack.reference));
    if (charge) charge.status = ack.status;
  }

  get(deviceId: string, reference: string): BookedCharge | undefined {
    return this.#charges.get(keyOf(deviceId, reference));
  }

  /**
   * Claims an open charge for a payment of `amountMinor` `currency`: it is then "settling" until
   * the display acks how it ended, or `release` gives it back. Otherwise says why not.
   */
  claim(deviceId: string, reference: string, amountMinor: number, currency: string): Claim {
    const charge = this.#charges.get(keyOf(deviceId, reference));
    if (!charge) return { ok: false, reason: "unknown_charge", detail: `the service put no charge ${reference} on ${deviceId}` };
    if (charge.status !== "shown") return { ok: false, reason: "charge_not_open", detail: `charge ${reference} is ${charge.status}` };
    const now = this.now();
    if (now >= charge.expiresAt) return { ok: false, reason: "charge_not_open", detail: `charge ${reference} expired ${now - charge.expiresAt} ms ago` };
    if (amountMinor !== charge.amountMinor || currency !== charge.currency)
      return { ok: false, reason: "amount_differs", detail: `offered as ${amountMinor} ${currency} (minor units); the charge is ${charge.amountMinor} ${charge.currency}` };
    charge.status = "settling";
    return { ok: true, charge };
  }

  /** Gives back a claim whose payment could not be sent. */
  release(deviceId: string, reference: string): void {
    const charge = this.#charges.get(keyOf(deviceId, reference));
    if (charge?.status === "settling") charge.status = "shown";
  }
}
