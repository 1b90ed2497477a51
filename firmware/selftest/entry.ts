/**
 * Entering the self-test from the buttons: in the first `windowMs` after power-on, hold the
 * product's combination for `holdMs`:
 *
 *   soundbox     volume up and volume down together, 2 s
 *   QR display   function, 5 s (its only button on the board; pressing it before power-on would
 *                put the ESP32 into its download mode, GPIO 0)
 *
 * The watcher sits in front of whatever handles the buttons (the product keeps getting every
 * edge) and steps aside when the window closes. The HAL reports edges only, so a combination held
 * from before power-on counts from its first edge after it.
 */
import type { ButtonId, Buttons } from "../../hal/buttons";
import type { TimerHandle, Timers } from "../../hal/clock";
import type { Product } from "../../hal/system";

export interface Combination {
  buttons: readonly ButtonId[];
  holdMs: number;
}

export const ENTRY_COMBINATIONS: Readonly<Record<Product, Combination>> = Object.freeze({
  soundbox: { buttons: ["volumeUp", "volumeDown"], holdMs: 2000 },
  "qr-display": { buttons: ["function"], holdMs: 5000 },
});

export const ENTRY_WINDOW_MS = 10_000;

export interface EntryOptions {
  buttons: Buttons;
  timers: Timers;
  combination: Combination;
  windowMs?: number;
  onEnter(): void;
}

export class SelfTestEntry {
  readonly #o: EntryOptions;
  readonly #held = new Set<ButtonId>();
  readonly #handler: (button: ButtonId, pressed: boolean) => void;
  #next: ((button: ButtonId, pressed: boolean) => void) | undefined;
  #hold: TimerHandle | undefined;
  #window: TimerHandle | undefined;

  /** Starts watching; does nothing when this device lacks a button of the combination. */
  constructor(options: EntryOptions) {
    this.#o = options;
    this.#handler = (button, pressed) => {
      this.#edge(button, pressed);
      this.#next?.(button, pressed);
    };
    if (!options.combination.buttons.every((b) => options.buttons.available.includes(b))) return;
    this.#next = options.buttons.onChange;
    options.buttons.onChange = this.#handler;
    this.#window = options.timers.once(() => this.close(), options.windowMs ?? ENTRY_WINDOW_MS);
  }

  /** Stops watching and gives the buttons back to the handler it found. */
  close(): void {
    const { buttons, timers } = this.#o;
    if (this.#hold) timers.clear(this.#hold);
    if (this.#window) timers.clear(this.#window);
    this.#hold = this.#window = undefined;
    if (buttons.onChange === this.#handler) buttons.onChange = this.#next;
    this.#next = undefined;
  }

  #edge(button: ButtonId, pressed: boolean): void {
    const { combination, timers } = this.#o;
    if (!combination.buttons.includes(button)) return;
    if (pressed) this.#held.add(button);
    else this.#held.delete(button);
    const all = combination.buttons.every((b) => this.#held.has(b));
    if (all && !this.#hold) {
      this.#hold = timers.once(() => {
        this.#hold = undefined;
        this.close();
        this.#o.onEnter();
      }, combination.holdMs);
    } else if (!all && this.#hold) {
      timers.clear(this.#hold);
      this.#hold = undefined;
    }
  }
}
