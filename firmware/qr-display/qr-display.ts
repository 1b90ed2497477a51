/**
 * The QR display's screen as an explicit state machine. "Home" is the charge on offer, or the
 * merchant's static QR when there is none; the other screens are transient and return home:
 *
 *   idle <-> charge            (a charge is offered / it ends)
 *   idle|charge -> success | mismatch | expired | cancelled -> home after a few seconds
 *   no-merchant                (nothing valid to show when idle)
 *
 * Every frame is laid out completely before the first pixel is drawn, so a payload that does not
 * fit never leaves a half-drawn or wrong code on the screen. A status banner (offline, low
 * battery) sits on top of whichever screen is shown.
 */
import type { Clock, TimerHandle, Timers } from "../../hal/clock";
import type { Display, QrSymbolView } from "../../hal/display";
import type { Log } from "../../hal/log";
import { QrTooLargeError, type QrEncoder } from "../../hal/qr";
import { utf8Length } from "../../hal/utf8";
import { renderIcon } from "./icons";
import { DEFAULT_MIN_MODULE_PIXELS, LayoutError, PREFERRED_MODULE_PIXELS, layoutScreen, MARGIN, maxQrVersion, QUIET_ZONE_MODULES, type PlacedText, type Rect, type ScreenLayout } from "./layout";
import {
  BANNER_HEIGHT,
  BANNER_SCALE,
  bannerColor,
  bannerText,
  chargeScreen,
  Colors,
  COUNTDOWN_LINE,
  countdownLine,
  endedScreen,
  idleScreen,
  mismatchScreen,
  notSetUpScreen,
  successScreen,
  type DeviceStatus,
  type EndKind,
  type MismatchText,
  type PaidText,
  type ScreenContent,
} from "./screens";
import { fitText, renderText, textWidth } from "./text";

export type ScreenState = "idle" | "no-merchant" | "charge" | "success" | "mismatch" | "expired" | "cancelled";

/** How long each transient screen stays before home comes back. */
export const TRANSIENT_MS: Readonly<Record<"success" | "mismatch" | "expired" | "cancelled", number>> = {
  success: 4000,
  mismatch: 10_000,
  expired: 4000,
  cancelled: 3000,
};
export const SUCCESS_SCREEN_MS = TRANSIENT_MS.success;
const COUNTDOWN_EVERY_MS = 1000;

export interface Offer {
  /** Shown under the code: "UPI", "Alipay+"... */
  label: string;
  payload: string;
}

export interface ChargeOnScreen {
  reference: string;
  amountMinor: number;
  currency: string;
  /** ms since the epoch. */
  expiresAt: number;
  offers: readonly Offer[];
}

/** A charge whose every code has been encoded and laid out: it can be shown without failing. */
export interface PreparedCharge {
  readonly charge: ChargeOnScreen;
  readonly symbols: readonly QrSymbolView[];
}

/** A payload this screen cannot show as a QR code readable at the minimum module size. */
export class ScreenFitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScreenFitError";
  }
}

export interface QrDisplayOptions {
  display: Display;
  qr: QrEncoder;
  timers: Timers;
  clock: Clock;
  log: Log;
  /** The merchant's static code for the idle screen. */
  staticPayload?: string;
  merchantName?: string;
  /** Module size floor and the size text shrinks for (layout.ts). */
  minModulePixels?: number;
  preferredModulePixels?: number;
}

export class QrDisplay {
  #state: ScreenState | undefined;
  #active: PreparedCharge | undefined;
  #offer = 0;
  #status: DeviceStatus = { linkUp: true, online: true, batteryPercent: 100, charging: false };
  #returnTimer: TimerHandle | undefined;
  #countdownTimer: TimerHandle | undefined;
  #countdown: PlacedText | undefined;
  #background = Colors.white;
  #idleSymbol: QrSymbolView | undefined;
  #idleProblem: string | undefined;
  readonly #o: QrDisplayOptions;
  readonly #minModule: number;
  readonly #preferredModule: number;

  constructor(options: QrDisplayOptions) {
    this.#o = options;
    this.#minModule = options.minModulePixels ?? DEFAULT_MIN_MODULE_PIXELS;
    this.#preferredModule = Math.max(this.#minModule, options.preferredModulePixels ?? PREFERRED_MODULE_PIXELS);
    if (!options.staticPayload) this.#idleProblem = "no merchant QR configured";
    else {
      try {
        this.#idleSymbol = this.#encode(options.staticPayload, "merchant QR");
        this.#check(idleScreen(options.merchantName), this.#idleSymbol);
      } catch (error) {
        if (!(error instanceof ScreenFitError)) throw error;
        this.#idleSymbol = undefined;
        this.#idleProblem = error.message;
        options.log.event("error", "merchant-qr", { detail: error.message });
      }
    }
  }

  get state(): ScreenState | undefined {
    return this.#state;
  }

  /** The charge on offer, if any, and which of its codes is on screen. */
  get active(): { charge: ChargeOnScreen; offer: number } | undefined {
    return this.#active && { charge: this.#active.charge, offer: this.#offer };
  }

  get status(): DeviceStatus {
    return { ...this.#status };
  }

  /** Updates the banner's inputs; redraws only when the banner's text changes. */
  setStatus(status: Partial<DeviceStatus>): void {
    const before = bannerText(this.#status);
    this.#status = { ...this.#status, ...status };
    if (this.#state !== undefined && bannerText(this.#status) !== before) this.#redraw();
  }

  /** Home: the charge on offer, else the merchant's static code. */
  showIdle(): void {
    this.#cancelReturn();
    if (this.#active) return this.#showCharge();
    this.#stopCountdown();
    if (!this.#idleSymbol) {
      this.#paint(notSetUpScreen(this.#idleProblem ?? "no merchant QR"), undefined);
      this.#enter("no-merchant", { detail: this.#idleProblem });
      return;
    }
    const layout = this.#paint(idleScreen(this.#o.merchantName), this.#idleSymbol);
    this.#enter("idle", { modules: this.#idleSymbol.size, scale: layout.qr?.scale });
  }

  /**
   * Encodes and lays out every code of a charge, with the banner's room reserved, so showing it
   * later cannot fail. Throws ScreenFitError naming the code that does not fit.
   */
  prepareCharge(charge: ChargeOnScreen): PreparedCharge {
    const symbols: QrSymbolView[] = [];
    for (let i = 0; i < charge.offers.length; i++) {
      const symbol = this.#encode(charge.offers[i].payload, `${charge.offers[i].label} code`);
      this.#check(this.#chargeContent(charge, i), symbol);
      symbols.push(symbol);
    }
    return { charge, symbols };
  }

  /** Makes the charge home and shows its first code. */
  offerCharge(prepared: PreparedCharge): void {
    this.#active = prepared;
    this.#offer = 0;
    this.#cancelReturn();
    this.#showCharge();
  }

  /**
   * The charge is over: home becomes the static code again, drawn now if the charge is on
   * screen. Show the screen that says how it ended first, and that one returns home in time.
   */
  endCharge(): void {
    this.#active = undefined;
    this.#offer = 0;
    if (this.#state === "charge") this.showIdle();
  }

  /** The function button: the charge's next code (EMVCo, UPI link...). */
  nextOffer(): void {
    if (!this.#active || this.#active.symbols.length < 2) return;
    this.#offer = (this.#offer + 1) % this.#active.symbols.length;
    if (this.#state === "charge") this.#showCharge();
  }

  showPaid(paid: PaidText, txn: string): void {
    this.#transient("success", successScreen(paid), { txn, ref: paid.reference });
  }

  showMismatch(mismatch: MismatchText, txn: string): void {
    this.#transient("mismatch", mismatchScreen(mismatch), { txn, ref: mismatch.reference, paid: mismatch.amountMinor, asked: mismatch.expectedMinor });
  }

  showEnded(kind: EndKind, charge: { reference: string; amountMinor: number; currency: string }): void {
    this.#transient(kind, endedScreen(kind, charge), { ref: charge.reference });
  }

  #showCharge(): void {
    const prepared = this.#active as PreparedCharge;
    const symbol = prepared.symbols[this.#offer];
    const content = this.#chargeContent(prepared.charge, this.#offer);
    const layout = this.#paint(content, symbol);
    this.#countdown = layout.texts[content.above.length + COUNTDOWN_LINE];
    this.#enter("charge", { ref: prepared.charge.reference, offer: prepared.charge.offers[this.#offer].label, modules: symbol.size, scale: layout.qr?.scale });
    if (!this.#countdownTimer) this.#countdownTimer = this.#o.timers.repeat(() => this.#tickCountdown(), COUNTDOWN_EVERY_MS);
  }

  #chargeContent(charge: ChargeOnScreen, offer: number): ScreenContent {
    const text = { reference: charge.reference, amountMinor: charge.amountMinor, currency: charge.currency, label: charge.offers[offer].label, offerIndex: offer, offerCount: charge.offers.length };
    return chargeScreen(text, charge.expiresAt - this.#o.clock.now());
  }

  /** Redraws the countdown line alone, in its own band. */
  #tickCountdown(): void {
    const band = this.#countdown;
    if (this.#state !== "charge" || !this.#active || !band) return;
    const line = countdownLine(this.#active.charge.expiresAt - this.#o.clock.now());
    const text = fitText(line.text, band.scale, band.band.width);
    const mask = renderText(text, band.scale);
    const { display } = this.#o;
    display.begin(band.band.x, band.band.y, band.band.width, band.band.height);
    display.fillRect(band.band.x, band.band.y, band.band.width, band.band.height, this.#background);
    display.drawMask(band.band.x + Math.floor((band.band.width - textWidth(text, band.scale)) / 2), band.y, mask.width, mask.height, mask.bits, line.color);
    display.end();
  }

  #transient(state: "success" | "mismatch" | "expired" | "cancelled", content: ScreenContent, fields: Record<string, string | number | undefined>): void {
    this.#cancelReturn();
    this.#stopCountdown();
    this.#paint(content, undefined);
    this.#enter(state, fields);
    this.#returnTimer = this.#o.timers.once(() => {
      this.#returnTimer = undefined;
      this.showIdle();
    }, TRANSIENT_MS[state]);
  }

  #redraw(): void {
    if (this.#state === "idle" || this.#state === "no-merchant") this.showIdle();
    else if (this.#state === "charge") this.#showCharge();
    // Transient screens keep their frame; the banner shows when home returns.
  }

  #encode(payload: string, what: string): QrSymbolView {
    const { display } = this.#o;
    const maxVersion = maxQrVersion(Math.min(display.width, display.height), this.#minModule);
    if (maxVersion < 1) throw new ScreenFitError(`a ${display.width}x${display.height} screen cannot show any QR code at ${this.#minModule} pixels per module`);
    try {
      return this.#o.qr.encode(payload, maxVersion);
    } catch (error) {
      if (!(error instanceof QrTooLargeError)) throw error;
      throw new ScreenFitError(
        `the ${what} (${utf8Length(payload)} bytes) needs a QR code larger than version ${maxVersion}, ` +
          `the largest this ${display.width}x${display.height} screen shows at ${this.#minModule} pixels per module`,
      );
    }
  }

  /** Lays out with the banner's room taken, as the worst case; throws ScreenFitError. */
  #check(content: ScreenContent, symbol: QrSymbolView): void {
    this.#layout(content, symbol, BANNER_HEIGHT);
  }

  #layout(content: ScreenContent, symbol: QrSymbolView | undefined, banner: number): ScreenLayout {
    const { display } = this.#o;
    try {
      return layoutScreen({ width: display.width, height: display.height, banner, symbolSize: symbol?.size, above: content.above, below: content.below, minModulePixels: this.#minModule, preferredModulePixels: this.#preferredModule });
    } catch (error) {
      if (error instanceof LayoutError) throw new ScreenFitError(error.message);
      throw error;
    }
  }

  /** One full frame: laid out first, then drawn. */
  #paint(content: ScreenContent, symbol: QrSymbolView | undefined): ScreenLayout {
    const { display } = this.#o;
    const banner = bannerText(this.#status);
    const layout = this.#layout(content, symbol, banner ? BANNER_HEIGHT : 0);
    const masks = layout.texts.map((t) => (t.icon ? renderIcon(t.icon, t.scale) : renderText(t.text, t.scale)));
    display.begin();
    display.fillRect(0, 0, display.width, display.height, content.background);
    this.#background = content.background;
    if (banner && layout.banner) this.#drawBanner(banner, layout.banner);
    if (layout.qr && symbol) {
      const { x, y, scale, extent } = layout.qr;
      const quiet = QUIET_ZONE_MODULES * scale;
      display.fillRect(x - quiet, y - quiet, extent, extent, Colors.white);
      display.drawQr(symbol, x, y, scale, Colors.black, Colors.white);
    }
    for (let i = 0; i < layout.texts.length; i++) {
      const t = layout.texts[i];
      display.drawMask(t.x, t.y, masks[i].width, masks[i].height, masks[i].bits, t.color);
    }
    display.end();
    return layout;
  }

  #drawBanner(text: string, where: Rect): void {
    const { display } = this.#o;
    display.fillRect(where.x, where.y, where.width, where.height, bannerColor(this.#status));
    const mask = renderText(fitText(text, BANNER_SCALE, where.width - 2 * MARGIN), BANNER_SCALE);
    display.drawMask(where.x + Math.floor((where.width - mask.width) / 2), where.y + Math.floor((where.height - mask.height) / 2), mask.width, mask.height, mask.bits, Colors.white);
  }

  #enter(state: ScreenState, fields: Record<string, string | number | undefined> = {}): void {
    this.#state = state;
    this.#o.log.event("info", "screen", { screen: state, ...fields });
  }

  #cancelReturn(): void {
    if (this.#returnTimer) this.#o.timers.clear(this.#returnTimer);
    this.#returnTimer = undefined;
  }

  #stopCountdown(): void {
    if (this.#countdownTimer) this.#o.timers.clear(this.#countdownTimer);
    this.#countdownTimer = undefined;
    this.#countdown = undefined;
  }

  /** Stops every timer (device shutdown). */
  stop(): void {
    this.#cancelReturn();
    this.#stopCountdown();
  }
}
