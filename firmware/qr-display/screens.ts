/**
 * What each screen says: its background, the text lines above and below (or beside) the QR, and
 * the status banner. Pure functions of their inputs; qr-display.ts lays them out and draws them.
 */
import { rgb565 } from "../../hal/display";
import type { TextLine } from "./layout";
import { moneyText } from "./money-text";
import { textHeight } from "./text";

export const Colors = Object.freeze({
  white: rgb565(255, 255, 255),
  black: rgb565(0, 0, 0),
  grey: rgb565(0x60, 0x60, 0x60),
  green: rgb565(0x13, 0x73, 0x33),
  amber: rgb565(0xf2, 0xa9, 0x00),
  slate: rgb565(0x37, 0x41, 0x51),
  red: rgb565(0xc6, 0x28, 0x28),
});

export interface ScreenContent {
  background: number;
  above: TextLine[];
  below: TextLine[];
}

export interface DeviceStatus {
  /** The network link is up (the session may still be connecting). */
  linkUp: boolean;
  /** The MQTT session is online. */
  online: boolean;
  batteryPercent: number;
  charging: boolean;
}

/** Below this, not charging, the screen says so. */
export const LOW_BATTERY_PERCENT = 15;

export const BANNER_SCALE = 2;
export const BANNER_HEIGHT = textHeight(BANNER_SCALE) + 6;

export function bannerText(status: DeviceStatus): string | undefined {
  const parts: string[] = [];
  if (!status.linkUp) parts.push("NO NETWORK");
  else if (!status.online) parts.push("OFFLINE");
  if (status.batteryPercent < LOW_BATTERY_PERCENT && !status.charging) parts.push(`BATTERY ${Math.max(0, Math.round(status.batteryPercent))}%`);
  return parts.length === 0 ? undefined : parts.join("  ");
}

export function bannerColor(status: DeviceStatus): number {
  return status.linkUp && status.online ? Colors.amber : Colors.red;
}

export function idleScreen(merchantName: string | undefined): ScreenContent {
  return {
    background: Colors.white,
    above: merchantName ? [{ text: merchantName, scale: 2, minScale: 1, color: Colors.black }] : [],
    below: [{ text: "Scan to pay", scale: 2, minScale: 1, color: Colors.grey }],
  };
}

export function notSetUpScreen(detail: string): ScreenContent {
  return {
    background: Colors.slate,
    above: [{ text: "NOT SET UP", scale: 3, minScale: 2, color: Colors.white }],
    below: [{ text: detail, scale: 1, color: Colors.white }],
  };
}

/** "4:59"; "0:00" once the time is up. */
export function countdownText(remainingMs: number): string {
  const seconds = Math.max(0, Math.ceil(remainingMs / 1000));
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return `${minutes}:${rest < 10 ? "0" : ""}${rest}`;
}

export interface ChargeText {
  reference: string;
  amountMinor: number;
  currency: string;
  /** The scheme of the code on screen, and how many there are to switch between. */
  label: string;
  offerIndex: number;
  offerCount: number;
}

/** Index in `below` of the countdown line, which the display redraws on its own every second. */
export const COUNTDOWN_LINE = 1;

export function chargeScreen(charge: ChargeText, remainingMs: number): ScreenContent {
  const scheme = charge.offerCount > 1 ? `${charge.label} (${charge.offerIndex + 1}/${charge.offerCount})` : charge.label;
  return {
    background: Colors.white,
    above: [
      { text: moneyText(charge.amountMinor, charge.currency), scale: 4, minScale: 2, color: Colors.black, critical: true, primary: true },
      { text: `Ref ${charge.reference}`, scale: 2, minScale: 1, color: Colors.grey, critical: true },
    ],
    below: [
      { text: scheme, scale: 2, minScale: 1, color: Colors.black },
      countdownLine(remainingMs),
    ],
  };
}

export function countdownLine(remainingMs: number): TextLine {
  return { text: `${countdownText(remainingMs)} left`, scale: 2, minScale: 1, color: remainingMs < 30_000 ? Colors.red : Colors.grey, critical: true };
}

export interface PaidText {
  amountMinor: number;
  currency: string;
  provider: string;
  reference: string | undefined;
}

export function successScreen(paid: PaidText): ScreenContent {
  return {
    background: Colors.green,
    above: [
      { text: "paid", icon: "tick", scale: 6, minScale: 3, color: Colors.white },
      { text: "PAID", scale: 3, minScale: 2, color: Colors.white },
    ],
    below: [
      { text: moneyText(paid.amountMinor, paid.currency), scale: 4, minScale: 2, color: Colors.white, critical: true },
      { text: paid.provider, scale: 2, minScale: 1, color: Colors.white },
      ...(paid.reference ? [{ text: `Ref ${paid.reference}`, scale: 1, color: Colors.white }] : []),
    ],
  };
}

export interface MismatchText extends PaidText {
  expectedMinor: number;
  expectedCurrency: string;
}

export function mismatchScreen(m: MismatchText): ScreenContent {
  return {
    background: Colors.amber,
    above: [
      { text: "!", scale: 8, minScale: 3, color: Colors.black },
      { text: "AMOUNT MISMATCH", scale: 2, minScale: 1, color: Colors.black, critical: true },
    ],
    below: [
      { text: `Paid ${moneyText(m.amountMinor, m.currency)}`, scale: 3, minScale: 1, color: Colors.black, critical: true },
      { text: `Asked ${moneyText(m.expectedMinor, m.expectedCurrency)}`, scale: 2, minScale: 1, color: Colors.black, critical: true },
      { text: m.provider, scale: 2, minScale: 1, color: Colors.black },
      ...(m.reference ? [{ text: `Ref ${m.reference}`, scale: 1, color: Colors.black }] : []),
    ],
  };
}

export type EndKind = "expired" | "cancelled";

export function endedScreen(kind: EndKind, charge: { reference: string; amountMinor: number; currency: string }): ScreenContent {
  return {
    background: Colors.slate,
    above: [
      { text: kind, icon: "cross", scale: 5, minScale: 2, color: Colors.white },
      { text: kind === "expired" ? "EXPIRED" : "CANCELLED", scale: 3, minScale: 2, color: Colors.white },
    ],
    below: [
      { text: moneyText(charge.amountMinor, charge.currency), scale: 3, minScale: 1, color: Colors.white, critical: true },
      { text: `Ref ${charge.reference}`, scale: 1, color: Colors.white },
    ],
  };
}
