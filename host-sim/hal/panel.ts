/** Buttons, power and network of a simulated device: state set by the web UI, tests or CLI. */
import type { ButtonId, Buttons } from "../../hal/buttons";
import type { Network, NetworkStatus } from "../../hal/network";
import type { Power, PowerStatus } from "../../hal/power";

export class SimButtons implements Buttons {
  onChange: ((button: ButtonId, pressed: boolean) => void) | undefined;
  constructor(readonly available: readonly ButtonId[]) {}

  press(button: ButtonId, holdMs = 80): Promise<void> {
    if (!this.available.includes(button)) throw new Error(`this device has no ${button} button`);
    this.onChange?.(button, true);
    return new Promise((resolve) =>
      setTimeout(() => {
        this.onChange?.(button, false);
        resolve();
      }, holdMs),
    );
  }
}

export class SimPower implements Power {
  onChange: ((status: PowerStatus) => void) | undefined;
  #status: PowerStatus = { batteryPercent: 100, charging: false };

  status(): PowerStatus {
    return { ...this.#status };
  }

  set(status: Partial<PowerStatus>): void {
    this.#status = { ...this.#status, ...status };
    this.onChange?.(this.status());
  }
}

export class SimNetwork implements Network {
  onChange: ((status: NetworkStatus) => void) | undefined;
  #status: NetworkStatus = { link: "up", rssi: -55 };

  status(): NetworkStatus {
    return { ...this.#status };
  }

  set(status: Partial<NetworkStatus>): void {
    this.#status = { ...this.#status, ...status };
    this.onChange?.(this.status());
  }
}
