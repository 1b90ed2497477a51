/**
 * What the self-test draws: the test pattern (a white border on the outermost pixels, the eight
 * colour bars, a QR code naming the device) and the result screen. The bars run white, yellow,
 * cyan, green, magenta, red, blue, black: a stuck colour channel or a swapped red/blue order shows
 * as a wrong bar, a dead edge line as a gap in the border.
 */
import type { Display } from "../../hal/display";
import { rgb565 } from "../../hal/display";
import type { QrEncoder } from "../../hal/qr";
import { fitText, renderText, textHeight } from "../qr-display/text";
import type { CheckResult, CheckStatus } from "./report";

export const BAR_COLORS: readonly number[] = [
  rgb565(255, 255, 255),
  rgb565(255, 255, 0),
  rgb565(0, 255, 255),
  rgb565(0, 255, 0),
  rgb565(255, 0, 255),
  rgb565(255, 0, 0),
  rgb565(0, 0, 255),
  rgb565(0, 0, 0),
];
const WHITE = BAR_COLORS[0];
const BLACK = rgb565(0, 0, 0);
const GREY = rgb565(128, 128, 128);
const STATUS_COLOR: Record<CheckStatus, number> = { pass: rgb565(0, 200, 0), fail: rgb565(255, 40, 40), skip: GREY };

/** The bars take the top 40 % of the screen, inside the border. */
export function barArea(display: Pick<Display, "width" | "height">): { x: number; y: number; width: number; height: number } {
  return { x: 1, y: 1, width: display.width - 2, height: Math.floor(display.height * 0.4) };
}

/** Draws the pattern; returns the QR code's payload, or undefined when the device cannot encode one. */
export function drawTestPattern(display: Display, encoder: QrEncoder | undefined, payload: string): string | undefined {
  const { width, height } = display;
  display.begin();
  display.fillRect(0, 0, width, height, BLACK);
  display.fillRect(0, 0, width, 1, WHITE);
  display.fillRect(0, height - 1, width, 1, WHITE);
  display.fillRect(0, 0, 1, height, WHITE);
  display.fillRect(width - 1, 0, 1, height, WHITE);
  const bars = barArea(display);
  for (let i = 0; i < BAR_COLORS.length; i++) {
    const x0 = bars.x + Math.floor((bars.width * i) / BAR_COLORS.length);
    const x1 = bars.x + Math.floor((bars.width * (i + 1)) / BAR_COLORS.length);
    display.fillRect(x0, bars.y, x1 - x0, bars.height, BAR_COLORS[i]);
  }
  let shown: string | undefined;
  if (encoder) {
    const symbol = encoder.encode(payload);
    const top = bars.y + bars.height + 4;
    const side = Math.min(width - 8, height - top - 4);
    // Four modules of quiet zone each side.
    const scale = Math.floor(side / (symbol.size + 8));
    if (scale >= 1) {
      const size = (symbol.size + 8) * scale;
      const x = Math.floor((width - size) / 2);
      const y = top + Math.floor((height - top - size) / 2);
      display.fillRect(x, y, size, size, WHITE);
      display.drawQr(symbol, x + 4 * scale, y + 4 * scale, scale, BLACK, WHITE);
      shown = payload;
    }
  }
  display.end();
  return shown;
}

function line(display: Display, text: string, x: number, y: number, scale: number, color: number): number {
  const mask = renderText(fitText(text, scale, display.width - x - 4), scale);
  display.drawMask(x, y, mask.width, mask.height, mask.bits, color);
  return y + textHeight(scale) + scale * 3;
}

/** A prompt while the self-test waits for the operator (the buttons still to press). */
export function drawPrompt(display: Display, title: string, lines: readonly string[]): void {
  display.begin();
  display.fillRect(0, 0, display.width, display.height, BLACK);
  let y = line(display, title, 6, 8, 2, WHITE);
  for (const text of lines) y = line(display, text, 6, y, 2, WHITE);
  display.end();
}

export function drawResult(display: Display, result: "pass" | "fail", checks: readonly CheckResult[]): void {
  display.begin();
  display.fillRect(0, 0, display.width, display.height, BLACK);
  let y = line(display, result === "pass" ? "SELF-TEST PASS" : "SELF-TEST FAIL", 6, 8, 2, result === "pass" ? STATUS_COLOR.pass : STATUS_COLOR.fail);
  y += 4;
  for (const check of checks) {
    y = line(display, `${check.name.toUpperCase()} ${check.status.toUpperCase()}`, 6, y, 2, STATUS_COLOR[check.status]);
    if (check.status !== "pass") y = line(display, check.detail.toUpperCase(), 14, y, 1, GREY);
  }
  line(display, "ANY BUTTON: RESTART", 6, Math.max(y, display.height - 20), 1, GREY);
  display.end();
}
