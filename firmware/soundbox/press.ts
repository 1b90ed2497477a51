/**
 * Turns debounced button edges into gestures. Each button is its own small state machine:
 *
 *   up --pressed--> down --released before longMs--> up    (a "short" press)
 *                    |
 *                    +--held for longMs--> held --released--> up   ("long", reported at longMs)
 *
 * A long press is reported while the button is still held, so the merchant hears the result
 * without guessing when to let go; its release then reports nothing. Edges that do not fit
 * (a release while up, a press while down) are ignored.
 */
import type { ButtonId } from "../../hal/buttons";
import type { TimerHandle, Timers } from "../../hal/clock";

export type Gesture = "short" | "long";

export const LONG_PRESS_MS = 1500;

type PressState = "up" | "down" | "held";

interface ButtonState {
  state: PressState;
  timer: TimerHandle | undefined;
}

export class PressDetector {
  readonly #timers: Timers;
  readonly #longMs: number;
  readonly #onGesture: (button: ButtonId, gesture: Gesture) => void;
  readonly #buttons = new Map<ButtonId, ButtonState>();

  constructor(timers: Timers, onGesture: (button: ButtonId, gesture: Gesture) => void, longMs = LONG_PRESS_MS) {
    this.#timers = timers;
    this.#onGesture = onGesture;
    this.#longMs = longMs;
  }

  edge(button: ButtonId, pressed: boolean): void {
    let b = this.#buttons.get(button);
    if (!b) {
      b = { state: "up", timer: undefined };
      this.#buttons.set(button, b);
    }
    const held = b;
    if (pressed) {
      if (held.state !== "up") return;
      held.state = "down";
      held.timer = this.#timers.once(() => {
        held.timer = undefined;
        held.state = "held";
        this.#onGesture(button, "long");
      }, this.#longMs);
      return;
    }
    if (held.state === "up") return;
    const wasDown = held.state === "down";
    this.#cancel(held);
    if (wasDown) this.#onGesture(button, "short");
  }

  /** Forgets presses in progress (at shutdown): no gesture is reported for them. */
  reset(): void {
    for (const b of this.#buttons.values()) this.#cancel(b);
  }

  #cancel(b: ButtonState): void {
    if (b.timer) this.#timers.clear(b.timer);
    b.timer = undefined;
    b.state = "up";
  }
}
