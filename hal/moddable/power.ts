/**
 * Battery level from a resistor divider on an ADC pin and charging from the charger's status
 * pin (active low on TP4056-style chargers), sampled periodically. Without a battery pin (mains
 * powered, or the simulator) the status is fixed at 100 %, not charging.
 * Needs: "embedded:io/analog", "embedded:io/digital", "timer".
 */
import Analog from "embedded:io/analog";
import Digital from "embedded:io/digital";
import Timer from "timer";
import type { Power, PowerStatus } from "../power";

export interface BatteryOptions {
  /** ADC pin of the divider's midpoint. */
  pin: number;
  /** Battery volts per volt at the pin (2 for two equal resistors). */
  divider: number;
  /** ADC full scale in volts (about 3.1 V with ESP32's 11 dB attenuation). */
  fullScale: number;
  /** Battery volts at 0 % and 100 %. */
  empty: number;
  full: number;
  /** Charger status pin, low while charging. */
  chargingPin?: number;
  sampleMs?: number;
}

export class AdcPower implements Power {
  onChange: ((status: PowerStatus) => void) | undefined;
  readonly #status: PowerStatus = { batteryPercent: 100, charging: false };
  readonly #options: BatteryOptions | undefined;
  #adc: Analog | undefined;
  #charging: Digital | undefined;
  #timer: Timer | undefined;

  constructor(options?: BatteryOptions) {
    this.#options = options;
    if (!options) return;
    this.#adc = new Analog({ pin: options.pin });
    if (options.chargingPin !== undefined) this.#charging = new Digital({ pin: options.chargingPin, mode: Digital.InputPullUp });
    this.#sample();
    this.#timer = Timer.repeat(() => this.#sample(), options.sampleMs ?? 30_000);
  }

  status(): PowerStatus {
    return { batteryPercent: this.#status.batteryPercent, charging: this.#status.charging };
  }

  close(): void {
    Timer.clear(this.#timer);
    this.#adc = undefined;
    this.#charging?.close();
    this.#charging = undefined;
  }

  #sample(): void {
    const options = this.#options;
    const adc = this.#adc;
    if (!options || !adc) return;
    const volts = (adc.read() / ((1 << adc.resolution) - 1)) * options.fullScale * options.divider;
    const fraction = (volts - options.empty) / (options.full - options.empty);
    const percent = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
    const charging = this.#charging ? this.#charging.read() === 0 : false;
    const status = this.#status;
    // Report whole-percent changes of 2 or more, so ADC noise does not chatter.
    if (Math.abs(percent - status.batteryPercent) < 2 && charging === status.charging) return;
    status.batteryPercent = percent;
    status.charging = charging;
    this.onChange?.(this.status());
  }
}
