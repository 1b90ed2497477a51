/**
 * The codes a charge is offered as. A UPI link and an EMVCo payload can both carry the same
 * charge (an Indian wallet reads the link; Alipay+ and UPI-abroad wallets read the EMVCo code);
 * either is built here from the charge and the merchant's details, or comes complete from the
 * payment service and is shown exactly as sent, once it is proven to ask for this amount.
 */
import { formatAmount, parseAmount, currencyInfo } from "../money";
import { buildMpm, MpmError, parseMpm } from "../qr/emvco";
import { numericCurrency } from "../qr/iso4217";
import { buildUpi, parseUpi, UpiError } from "../qr/upi";
import { ChargeReason, ChargeRejection, type EmvScheme, type ShowCharge, type UpiScheme } from "./charge-request";
import type { Offer } from "./qr-display";

export interface MerchantDefaults {
  vpa?: string;
  name?: string;
}

export type OfferScheme = "upi" | "emv";

export interface SchemeOffer extends Offer {
  scheme: OfferScheme;
  /** True when the payload came complete in the request and is shown byte for byte. */
  passedThrough: boolean;
}

export const DEFAULT_EMV_LABEL = "EMV QR";

function reject(charge: ShowCharge, reason: string, detail: string): never {
  throw new ChargeRejection(reason, detail, charge.reference);
}

function upiOffer(charge: ShowCharge, upi: UpiScheme, merchant: MerchantDefaults): SchemeOffer {
  if (charge.currency !== "INR") reject(charge, ChargeReason.schemeCurrency, `a UPI link asks for INR; this charge is in ${charge.currency}`);
  if (upi.link !== undefined) {
    const parsed = parseUpi(upi.link);
    if (!parsed.ok) reject(charge, ChargeReason.badScheme, `upi.link: ${new UpiError(parsed.problems).message}`);
    const am = parsed.fields.am;
    if (am === undefined) reject(charge, ChargeReason.amountDiffers, "upi.link has no amount (am); a charge's link must ask for its amount");
    if (parseAmount(am, 2) !== charge.amountMinor)
      reject(charge, ChargeReason.amountDiffers, `upi.link asks for ${am}; the charge is ${formatAmount(charge.amountMinor, 2)} INR`);
    return { scheme: "upi", label: "UPI", payload: upi.link, passedThrough: true };
  }
  const pa = upi.fields.pa ?? merchant.vpa;
  const pn = upi.fields.pn ?? merchant.name;
  if (pa === undefined || pn === undefined) reject(charge, ChargeReason.badScheme, "upi: no payee address or name (configure the merchant, or send upi.pa and upi.pn)");
  try {
    const link = buildUpi({ ...upi.fields, pa, pn, tr: charge.reference, am: formatAmount(charge.amountMinor, 2), cu: "INR" });
    return { scheme: "upi", label: "UPI", payload: link, passedThrough: false };
  } catch (error) {
    if (error instanceof UpiError) reject(charge, ChargeReason.badScheme, `upi: ${error.message}`);
    throw error;
  }
}

function emvOffer(charge: ShowCharge, emv: EmvScheme, merchant: MerchantDefaults): SchemeOffer {
  const label = emv.label ?? DEFAULT_EMV_LABEL;
  const exponent = (currencyInfo(charge.currency) as { exponent: number }).exponent;
  if (emv.payload !== undefined) {
    const parsed = parseMpm(emv.payload);
    if (!parsed.ok) reject(charge, ChargeReason.badScheme, `emv.payload: ${new MpmError(parsed.problems).message}`);
    const { amount, currencyNumeric } = parsed.fields;
    if (currencyNumeric !== numericCurrency(charge.currency))
      reject(charge, ChargeReason.schemeCurrency, `emv.payload is in currency ${currencyNumeric ?? "(none)"}; the charge is in ${charge.currency}`);
    if (amount === undefined || parseAmount(amount.endsWith(".") ? amount.slice(0, -1) : amount, exponent) !== charge.amountMinor)
      reject(charge, ChargeReason.amountDiffers, `emv.payload asks for ${amount ?? "no amount"}; the charge is ${formatAmount(charge.amountMinor, exponent)} ${charge.currency}`);
    return { scheme: "emv", label, payload: emv.payload, passedThrough: true };
  }
  const name = emv.name ?? merchant.name;
  const missing = [emv.mcc === undefined && "mcc", emv.country === undefined && "cc", name === undefined && "name", emv.city === undefined && "city"].filter(Boolean);
  if (missing.length > 0) reject(charge, ChargeReason.badScheme, `emv: ${missing.join(", ")} needed to build a payload`);
  try {
    const payload = buildMpm({
      initiation: "dynamic",
      accounts: Object.keys(emv.accounts).map((id) => ({ id, value: emv.accounts[id] })),
      merchantCategoryCode: emv.mcc as string,
      currency: charge.currency,
      amount: formatAmount(charge.amountMinor, exponent),
      country: emv.country as string,
      merchantName: name as string,
      merchantCity: emv.city as string,
      postalCode: emv.postalCode,
      additional: { referenceLabel: charge.reference, billNumber: emv.billNumber, storeLabel: emv.storeLabel, terminalLabel: emv.terminalLabel, purpose: emv.purpose },
      language: emv.language,
    });
    return { scheme: "emv", label, payload, passedThrough: false };
  } catch (error) {
    if (error instanceof MpmError) reject(charge, ChargeReason.badScheme, `emv: ${error.message}`);
    throw error;
  }
}

/** The charge's codes, UPI first when there is one. Throws ChargeRejection. */
export function chargeOffers(charge: ShowCharge, merchant: MerchantDefaults): SchemeOffer[] {
  const offers: SchemeOffer[] = [];
  if (charge.upi) offers.push(upiOffer(charge, charge.upi, merchant));
  if (charge.emv) offers.push(emvOffer(charge, charge.emv, merchant));
  return offers;
}
