/**
 * The charge on offer, kept in NVS so that a restart (a brown-out, a watchdog) brings the same
 * code back on screen until its deadline, and a payment for it arriving after the restart is still
 * compared with it: it is shown as paid or as a mismatch, never as a plain, unchecked success.
 * One key, written when a charge is shown and deleted when it ends.
 */
import type { KeyValueStore } from "../../hal/kv";
import { CborError, decodeCbor, encodeCbor, isCborMap } from "../protocol/cbor";
import type { ChargeOnScreen } from "./qr-display";
import type { OfferScheme, SchemeOffer } from "./offers";

export const CHARGE_DOMAIN = "charge";
const ACTIVE_KEY = "active";

export interface StoredCharge extends ChargeOnScreen {
  offers: SchemeOffer[];
}

export function saveCharge(kv: KeyValueStore, charge: StoredCharge): void {
  const bytes = encodeCbor({
    ref: charge.reference,
    amt: charge.amountMinor,
    cur: charge.currency,
    exp: charge.expiresAt,
    codes: charge.offers.map((o) => ({ s: o.scheme, l: o.label, p: o.payload, t: o.passedThrough })),
  });
  kv.set(CHARGE_DOMAIN, ACTIVE_KEY, bytes.slice().buffer);
}

export function clearCharge(kv: KeyValueStore): void {
  kv.delete(CHARGE_DOMAIN, ACTIVE_KEY);
}

/** The stored charge, or undefined when there is none or it cannot be read (it is then dropped). */
export function loadCharge(kv: KeyValueStore): StoredCharge | undefined {
  const stored = kv.get(CHARGE_DOMAIN, ACTIVE_KEY);
  if (!(stored instanceof ArrayBuffer)) return undefined;
  try {
    const m = decodeCbor(new Uint8Array(stored), { maxDepth: 4, maxItems: 64 });
    if (!isCborMap(m) || !Array.isArray(m.codes)) throw new CborError("not a stored charge", 0);
    const { ref, amt, cur, exp } = m;
    if (typeof ref !== "string" || typeof amt !== "number" || typeof cur !== "string" || typeof exp !== "number") throw new CborError("not a stored charge", 0);
    const offers: SchemeOffer[] = [];
    for (const code of m.codes) {
      if (!isCborMap(code) || (code.s !== "upi" && code.s !== "emv") || typeof code.l !== "string" || typeof code.p !== "string") throw new CborError("not a stored code", 0);
      offers.push({ scheme: code.s as OfferScheme, label: code.l, payload: code.p, passedThrough: code.t === true });
    }
    return { reference: ref, amountMinor: amt, currency: cur, expiresAt: exp, offers };
  } catch (error) {
    if (!(error instanceof CborError)) throw error;
    clearCharge(kv);
    return undefined;
  }
}
