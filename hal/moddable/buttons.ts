/**
 * Buttons on GPIO inputs (to ground, internal pull-ups), debounced: an edge arms a short timer
 * and the level read when it fires is reported if it differs from the last report.
 * Needs: "embedded:io/digital", "timer".
 */
import Digital from "embedded:io/digital";
import Timer from "timer";
import type { ButtonId, Buttons } from "../buttons";

export const DEBOUNCE_MS = 25;

export type ButtonPins = Partial<Record<ButtonId, number>>;

interface Button {
  readonly id: ButtonId;
  readonly pin: Digital;
  pressed: boolean;
  timer: Timer | undefined;
}

export class GpioButtons implements Buttons {
  readonly available: readonly ButtonId[];
  onChange: ((button: ButtonId, pressed: boolean) => void) | undefined;
  readonly #buttons: Button[] = [];
  readonly #activeLow: boolean;

  constructor(pins: ButtonPins, options: { activeLow?: boolean } = {}) {
    this.#activeLow = options.activeLow ?? true;
    const ids: ButtonId[] = [];
    for (const id of Object.keys(pins) as ButtonId[]) {
      const pinNumber = pins[id];
      if (pinNumber === undefined) continue;
      const button: Button = {
        id,
        pin: new Digital({
          pin: pinNumber,
          mode: this.#activeLow ? Digital.InputPullUp : Digital.InputPullDown,
          edge: Digital.Rising | Digital.Falling,
          onReadable: () => this.#edge(button),
        }),
        pressed: false,
        timer: undefined,
      };
      button.pressed = this.#level(button);
      this.#buttons.push(button);
      ids.push(id);
    }
    this.available = Object.freeze(ids);
  }

  close(): void {
    for (const button of this.#buttons) {
      Timer.clear(button.timer);
      button.pin.close();
    }
    this.#buttons.length = 0;
  }

  #edge(button: Button): void {
    if (button.timer) Timer.schedule(button.timer, DEBOUNCE_MS);
    else button.timer = Timer.set(() => this.#settled(button), DEBOUNCE_MS);
  }

  #settled(button: Button): void {
    button.timer = undefined;
    const pressed = this.#level(button);
    if (pressed === button.pressed) return;
    button.pressed = pressed;
    this.onChange?.(button.id, pressed);
  }

  #level(button: Button): boolean {
    const high = button.pin.read() === 1;
    return this.#activeLow ? !high : high;
  }
}
