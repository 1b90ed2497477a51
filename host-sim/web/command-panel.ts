/**
 * Commands to a device (docs/protocol.md, commands): the ones its firmware registered, with
 * NAME=VALUE arguments as `payterm cmd` takes them; the device's result is shown as it answered.
 */
import type { SimState } from "../control/state";
import { act, post } from "./api";

interface CommandResult {
  status: string;
  reason?: string;
  detail?: string;
  result?: Record<string, unknown>;
}

export class CommandPanel {
  readonly #form = document.getElementById("command") as HTMLFormElement;
  readonly #device = this.#form.querySelector("select[name=deviceId]") as HTMLSelectElement;
  readonly #name = this.#form.querySelector("select[name=name]") as HTMLSelectElement;
  readonly #output = this.#form.querySelector("output") as HTMLOutputElement;
  #state: SimState | undefined;

  constructor() {
    this.#device.addEventListener("change", () => this.#fillCommands());
    this.#form.addEventListener("submit", (e) => {
      e.preventDefault();
      const deviceId = this.#device.value;
      const name = this.#name.value;
      const args = String(new FormData(this.#form).get("args") ?? "").split(/\s+/).filter(Boolean);
      this.#output.textContent = `${name} → ${deviceId}: waiting for the device…`;
      delete this.#output.dataset.outcome;
      void act(this.#form.querySelector("button[type=submit]"), async () => {
        try {
          const reply = await post<CommandResult>("/api/command", { deviceId, name, args });
          this.#output.dataset.outcome = reply.status === "ok" ? "announced" : "rejected";
          const detail = reply.status === "ok" ? JSON.stringify(reply.result ?? {}) : `${reply.reason ?? ""}${reply.detail ? ` (${reply.detail})` : ""}`;
          this.#output.textContent = `${name} → ${deviceId}: ${reply.status} ${detail}`;
        } catch (error) {
          this.#output.textContent = "";
          throw error;
        }
      });
    });
  }

  update(state: SimState): void {
    this.#state = state;
    this.#fillCommands();
  }

  #fillCommands(): void {
    const names = this.#state?.devices.find((d) => d.deviceId === this.#device.value)?.commands ?? [];
    const current = [...this.#name.options].map((o) => o.value).join();
    if (current === names.join()) return;
    const keep = this.#name.value;
    this.#name.replaceChildren(...names.map((n) => new Option(n, n)));
    if (names.includes(keep)) this.#name.value = keep;
  }
}
