/**
 * The simulated device's buttons: the memory HAL's, plus a press that is held for real time, as
 * the web UI and scenarios press them. Power and network state are the memory HAL's as they are.
 */
import { MemoryButtons } from "../../hal/memory/peripherals";
import type { ButtonId } from "../../hal/buttons";

export class SimButtons extends MemoryButtons {
  press(button: ButtonId, holdMs = 80): Promise<void> {
    this.set(button, true);
    return new Promise((resolve) =>
      setTimeout(() => {
        this.set(button, false);
        resolve();
      }, holdMs),
    );
  }
}
