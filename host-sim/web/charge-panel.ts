/**
 * Charges on the QR display: create one (the device shows its dynamic codes), then pay it as a
 * wallet (for the asked amount, or another to see a mismatch) or cancel it. The panel follows the
 * charge this page created last through the device's charge acks, with a countdown to expiry.
 */
import type { ChargeView, SimState } from "../control/state";
import { act, post } from "./api";

function fill(select: HTMLSelectElement, options: [value: string, text: string][]): void {
  const keep = select.value;
  select.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
  if (options.some(([value]) => value === keep)) select.value = keep;
}

export class ChargePanel {
  readonly #form = document.getElementById("charge") as HTMLFormElement;
  readonly #current = document.getElementById("current-charge") as HTMLElement;
  readonly #output = this.#form.querySelector("output") as HTMLOutputElement;
  #reference: string | undefined;
  #charge: ChargeView | undefined;
  #ticker: number | undefined;
  #filled = false;

  constructor() {
    this.#form.addEventListener("submit", (e) => {
      e.preventDefault();
      const form = new FormData(this.#form);
      const fieldset = this.#form.querySelector("fieldset");
      void act(fieldset, async () => {
        const charge = await post<ChargeView>("/api/charge", {
          deviceId: form.get("deviceId"),
          amount: form.get("amount"),
          currency: form.get("currency"),
          expiresInSeconds: Number(form.get("expiresIn")),
          schemes: String(form.get("schemes")).split(","),
        });
        this.#reference = charge.reference;
        this.#show(charge);
        this.#output.textContent = `${charge.deviceId} shows ${charge.reference}`;
      });
    });
    const pay = document.getElementById("charge-pay") as HTMLButtonElement;
    pay.addEventListener("click", () => {
      const reference = this.#reference;
      if (!reference) return;
      const wallet = (this.#current.querySelector("select[name=wallet]") as HTMLSelectElement).value;
      const paid = (this.#current.querySelector("input[name=paid]") as HTMLInputElement).value.trim();
      void act(pay, async () => {
        const result = await post<{ transactionId: string; announcedBy: string[] }>(`/api/charge/${reference}/pay`, { provider: wallet, ...(paid && { amount: paid }) });
        this.#output.textContent = `${wallet} paid ${paid || "the charge"} · ${result.transactionId}${result.announcedBy.length ? ` · announced by ${result.announcedBy.join(", ")}` : ""}`;
        this.#output.dataset.txn = result.transactionId;
      });
    });
    const cancel = document.getElementById("charge-cancel") as HTMLButtonElement;
    cancel.addEventListener("click", () => {
      if (this.#reference) void act(cancel, () => post(`/api/charge/${this.#reference}/cancel`));
    });
  }

  update(state: SimState): void {
    if (!this.#filled) {
      this.#filled = true;
      const displays = state.devices.filter((d) => d.product === "qr-display").map((d) => [d.deviceId, d.deviceId] as [string, string]);
      fill(this.#form.querySelector("select[data-displays]") as HTMLSelectElement, displays);
    }
    const charge = state.charges.find((c) => c.reference === this.#reference);
    if (charge) this.#show(charge);
  }

  #show(charge: ChargeView): void {
    this.#charge = charge;
    this.#current.hidden = false;
    this.#current.dataset.ref = charge.reference;
    (this.#current.querySelector("[data-ref]") as HTMLElement).textContent = charge.reference;
    const status = this.#current.querySelector("[data-status]") as HTMLElement;
    status.textContent = charge.status;
    status.dataset.state = charge.status;
    for (const scheme of ["upi", "emv"] as const) {
      const code = this.#current.querySelector(`[data-code=${scheme}]`) as HTMLElement;
      code.textContent = charge.codes[scheme] ?? "–";
      const dd = code.parentElement as HTMLElement;
      const dt = dd.previousElementSibling as HTMLElement;
      dd.hidden = dt.hidden = charge.codes[scheme] === undefined;
    }
    const open = charge.status === "shown";
    (document.getElementById("charge-cancel") as HTMLButtonElement).disabled = !open;
    window.clearInterval(this.#ticker);
    this.#tick();
    if (open) this.#ticker = window.setInterval(() => this.#tick(), 1000);
  }

  /** The countdown is the page's own clock against the charge's expiry; the device decides when it expires. */
  #tick(): void {
    const charge = this.#charge;
    const countdown = this.#current.querySelector("[data-countdown]") as HTMLElement;
    if (!charge || charge.status !== "shown") {
      countdown.textContent = "";
      window.clearInterval(this.#ticker);
      return;
    }
    const left = Math.max(0, Math.ceil((charge.expiresAt - Date.now()) / 1000));
    countdown.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} left`;
  }
}
