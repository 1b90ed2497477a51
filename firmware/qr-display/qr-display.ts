/**
 * The QR display's screens, as an explicit state machine: idle (the merchant's static QR) and
 * success (after a confirmation), returning to idle after a few seconds.
 */
import type { Timers, TimerHandle } from "../../hal/clock";
import { rgb565, type Display } from "../../hal/display";
import type { Log } from "../../hal/log";
import type { QrEncoder } from "../../hal/qr";
import type { JournalEntry } from "../payments/journal";
import { placeQr, QUIET_ZONE_MODULES } from "./layout";

export type ScreenState = "idle" | "success" | "no-merchant";

const WHITE = rgb565(255, 255, 255);
const BLACK = rgb565(0, 0, 0);
const GREEN = rgb565(0x13, 0x73, 0x33);
export const SUCCESS_SCREEN_MS = 4000;

export class QrDisplay {
  #state: ScreenState | undefined;
  #timer: TimerHandle | undefined;

  constructor(
    private readonly display: Display,
    private readonly qr: QrEncoder,
    private readonly timers: Timers,
    private readonly log: Log,
    private readonly staticPayload: string | undefined,
  ) {}

  get state(): ScreenState | undefined {
    return this.#state;
  }

  showIdle(): void {
    this.#cancelTimer();
    const { display } = this;
    display.begin();
    display.fillRect(0, 0, display.width, display.height, WHITE);
    if (!this.staticPayload) {
      display.fillRect(0, 0, display.width, Math.floor(display.height / 8), BLACK);
      display.end();
      this.#enter("no-merchant");
      return;
    }
    const symbol = this.qr.encode(this.staticPayload);
    const place = placeQr(symbol.size, { x: 0, y: 0, width: display.width, height: display.height });
    if (!place) throw new Error(`a ${symbol.size}-module QR with a ${QUIET_ZONE_MODULES}-module quiet zone does not fit ${display.width}x${display.height}`);
    display.drawQr(symbol, place.x, place.y, place.scale, BLACK, WHITE);
    display.end();
    this.#enter("idle", { modules: symbol.size, scale: place.scale });
  }

  confirmed(entry: JournalEntry): void {
    const { display } = this;
    display.begin();
    display.fillRect(0, 0, display.width, display.height, GREEN);
    this.#tick(display);
    display.end();
    this.#enter("success", { txn: entry.confirmation.transactionId });
    this.#cancelTimer();
    this.#timer = this.timers.once(() => {
      this.#timer = undefined;
      this.showIdle();
    }, SUCCESS_SCREEN_MS);
  }

  /** A check mark from two strokes of square pixels, sized to the screen. */
  #tick(display: Display): void {
    const unit = Math.max(2, Math.floor(Math.min(display.width, display.height) / 40));
    const cx = Math.floor(display.width / 2), cy = Math.floor(display.height / 2);
    for (let i = 0; i < 6; i++) display.fillRect(cx - 7 * unit + i * unit, cy + i * unit - unit, unit * 2, unit * 2, WHITE);
    for (let i = 0; i < 12; i++) display.fillRect(cx - 2 * unit + i * unit, cy + 4 * unit - i * unit, unit * 2, unit * 2, WHITE);
  }

  #enter(state: ScreenState, fields: Record<string, string | number> = {}): void {
    this.#state = state;
    this.log.event("info", "screen", { screen: state, ...fields });
  }

  #cancelTimer(): void {
    if (this.#timer) this.timers.clear(this.#timer);
    this.#timer = undefined;
  }
}
