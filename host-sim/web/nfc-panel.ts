/**
 * The QR displays' NFC readers: hold a virtual tag, card, phone or a technician's provisioning
 * tag to one, and take it away. The firmware reads it through the simulated PN532 as it would a
 * real one; the panel shows what is on the reader and the last thing that came of it (a tap the
 * payment service settled or declined, what a phone read from the display's emulated tag...).
 */
import type { DeviceEvent } from "../device/event-log";
import type { SimState } from "../control/state";
import { act, post } from "./api";

const OUTCOMES = new Set(["tap", "tap-refused", "tap-settled", "tap-declined", "tap-settle-failed", "phone-read", "nfc-tap", "nfc-error", "nfc-provisioned", "nfc-provisioning-refused"]);

export class NfcPanel {
  readonly #root = document.getElementById("nfc") as HTMLElement;
  readonly #reader = this.#root.querySelector("select[data-readers]") as HTMLSelectElement;
  readonly #tags = this.#root.querySelector("select[data-tags]") as HTMLSelectElement;
  readonly #holding = this.#root.querySelector("[data-holding]") as HTMLElement;
  readonly #result = this.#root.querySelector("[data-nfc-result]") as HTMLOutputElement;
  #state: SimState | undefined;

  constructor() {
    const place = document.getElementById("nfc-place") as HTMLButtonElement;
    const remove = document.getElementById("nfc-remove") as HTMLButtonElement;
    place.addEventListener("click", () => void act(place, () => post(`/api/device/${encodeURIComponent(this.#reader.value)}/nfc-place`, { kind: this.#tags.value })));
    remove.addEventListener("click", () => void act(remove, () => post(`/api/device/${encodeURIComponent(this.#reader.value)}/nfc-remove`)));
    this.#reader.addEventListener("change", () => this.#render());
  }

  update(state: SimState): void {
    const first = this.#state === undefined;
    this.#state = state;
    if (first) {
      this.#reader.replaceChildren(...state.nfc.readers.map((r) => new Option(r.deviceId, r.deviceId)));
      this.#tags.replaceChildren(...state.nfc.kinds.map((k) => new Option(k.label, k.kind)));
    }
    this.#render();
  }

  event(event: DeviceEvent): void {
    if (!OUTCOMES.has(event.name)) return;
    const device = event.device === "nfc" ? event.fields.device : event.device;
    if (device !== this.#reader.value) return;
    const fields = Object.entries(event.fields)
      .filter(([name, value]) => name !== "device" && value !== undefined && value !== "")
      .map(([name, value]) => `${name}=${String(value)}`)
      .join(" ");
    this.#result.textContent = `${event.name} ${fields}`;
    this.#result.dataset.outcome = event.level === "info" ? "announced" : "rejected";
    this.#result.dataset.event = event.name;
  }

  #render(): void {
    const reader = this.#state?.nfc.readers.find((r) => r.deviceId === this.#reader.value);
    this.#holding.textContent = reader?.holding ? `On the reader: ${reader.holding}` : "Nothing on the reader";
    this.#holding.dataset.holding = reader?.holding ?? "";
  }
}
