/**
 * The static QR a merchant's sticker and QR display carry: a UPI link for a VPA (built as the QR
 * display builds it, firmware/qr-display/terminal.ts, so both show the same code), or an EMVCo
 * merchant-presented payload as the acquirer issued it, checked by the firmware's own parser
 * (firmware/qr/emvco.ts) before it is printed on thousands of stickers.
 */
import { parseMpm } from "../../firmware/qr/emvco";
import { buildUpi, UpiError } from "../../firmware/qr/upi";
import type { MerchantBinding } from "./model";

/** A static EMVCo payload the firmware's parser accepts, or an error naming every broken rule. */
export function checkStaticEmvco(payload: string): void {
  const parsed = parseMpm(payload);
  const errors = parsed.problems.filter((p) => p.severity === "error").map((p) => `${p.path ? `${p.path}: ` : ""}${p.message}`);
  if (errors.length > 0) throw new Error(`emvco: ${errors.join("; ")}`);
  if (parsed.fields.initiation === "dynamic") throw new Error("emvco: point of initiation 12 is a dynamic (one payment) code, not a merchant's static QR");
}

export function merchantQrPayload(merchant: MerchantBinding): string {
  if (merchant.vpa !== undefined) {
    try {
      return buildUpi({ pa: merchant.vpa, pn: merchant.name, mc: merchant.mcc, cu: "INR" });
    } catch (error) {
      if (!(error instanceof UpiError)) throw error;
      throw new Error(`upi: ${error.problems.filter((p) => p.severity === "error").map((p) => p.message).join("; ")}`);
    }
  }
  if (merchant.emvco !== undefined) {
    checkStaticEmvco(merchant.emvco);
    return merchant.emvco;
  }
  throw new Error(`merchant ${merchant.id} has no vpa or emvco payload`);
}
