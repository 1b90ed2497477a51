/**
 * Which device-status prompts to say, and when:
 *
 * - "connected" / "no network": the device is connected when its link is up and its MQTT
 *   session is online (only then can payments arrive). A change is said only once it has held
 *   for `settleMs`, and only if it differs from what was said last, so a flapping link is silent
 *   until it settles. At boot nothing has been said, so the first settled state is said.
 * - "battery low": once when the battery falls to `lowPercent` or below while not charging;
 *   said again only after it has recovered past `lowPercent + LOW_HYSTERESIS`, or after charging
 *   that held (see below).
 * - "charging": when charging starts and has held for `settleMs` (a wiggled cable is not news).
 */
import type { TimerHandle, Timers } from "../../hal/clock";
import type { PowerStatus } from "../../hal/power";
import type { Prompt } from "../voice/language";

export const DEFAULT_SETTLE_MS = 5000;
export const DEFAULT_LOW_PERCENT = 15;
const LOW_HYSTERESIS = 5;

/** A boolean that is reported once it has held still for a while, and only when it changed. */
class Settled {
  #raw: boolean | undefined;
  #said: boolean | undefined;
  #timer: TimerHandle | undefined;

  constructor(
    private readonly timers: Timers,
    private readonly settleMs: number,
    private readonly onSettled: (value: boolean) => void,
  ) {}

  set(value: boolean): void {
    if (value === this.#raw) return;
    this.#raw = value;
    this.cancel();
    if (value === this.#said) return;
    this.#timer = this.timers.once(() => {
      this.#timer = undefined;
      this.#said = value;
      this.onSettled(value);
    }, this.settleMs);
  }

  cancel(): void {
    if (this.#timer) this.timers.clear(this.#timer);
    this.#timer = undefined;
  }
}

export interface StatusPromptOptions {
  timers: Timers;
  say(prompt: Prompt): void;
  settleMs?: number;
  lowPercent?: number;
}

export class StatusPrompts {
  readonly #say: (prompt: Prompt) => void;
  readonly #lowPercent: number;
  readonly #network: Settled;
  readonly #charging: Settled;
  #linkUp = false;
  #sessionOnline = false;
  #lowSaid = false;

  constructor(options: StatusPromptOptions) {
    const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.#say = options.say;
    this.#lowPercent = options.lowPercent ?? DEFAULT_LOW_PERCENT;
    this.#network = new Settled(options.timers, settleMs, (up) => this.#say(up ? "connected" : "no_network"));
    this.#charging = new Settled(options.timers, settleMs, (charging) => {
      if (!charging) return;
      this.#lowSaid = false;
      this.#say("charging");
    });
  }

  link(up: boolean): void {
    this.#linkUp = up;
    this.#network.set(this.#linkUp && this.#sessionOnline);
  }

  session(online: boolean): void {
    this.#sessionOnline = online;
    this.#network.set(this.#linkUp && this.#sessionOnline);
  }

  power(status: PowerStatus): void {
    const low = !status.charging && status.batteryPercent <= this.#lowPercent;
    if (low && !this.#lowSaid) {
      this.#lowSaid = true;
      this.#say("battery_low");
    } else if (status.batteryPercent >= this.#lowPercent + LOW_HYSTERESIS) {
      this.#lowSaid = false;
    }
    this.#charging.set(status.charging);
  }

  stop(): void {
    this.#network.cancel();
    this.#charging.cancel();
  }
}
