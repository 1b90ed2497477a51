/**
 * The payment service panel: confirm a payment as a chosen wallet, send forged or replayed
 * messages, and take the broker down; each result line follows its transaction to the device's ack.
 */
import type { DeviceEvent } from "../device/event-log";
import type { SimState } from "../control/state";
import { act, post, say } from "./api";

const CURRENCIES = ["INR", "CNY", "THB", "IDR", "USD", "SGD", "AED"];

function fill(select: HTMLSelectElement, options: [value: string, text: string][]): void {
  const keep = select.value;
  select.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
  if (options.some(([value]) => value === keep)) select.value = keep;
}

export class ServicePanel {
  readonly #pay = document.getElementById("pay") as HTMLFormElement;
  readonly #attack = document.getElementById("attack") as HTMLFormElement;
  readonly #brokerToggle = document.getElementById("broker-toggle") as HTMLButtonElement;
  /** Result lines waiting for their transaction's outcome. */
  readonly #following = new Map<string, HTMLOutputElement>();
  /** Recent outcomes, for an ack that arrives before the request that caused it has returned. */
  readonly #outcomes = new Map<string, DeviceEvent>();
  #state: SimState | undefined;

  constructor() {
    this.#pay.addEventListener("submit", (e) => {
      e.preventDefault();
      const form = Object.fromEntries(new FormData(this.#pay)) as Record<string, string>;
      void act(this.#submit(this.#pay), async () => {
        const { transactionId } = await post<{ transactionId: string }>("/api/pay", form);
        this.#follow(this.#pay, transactionId, `${form.provider} ${form.amount} ${form.currency} → ${form.deviceId}`);
      });
    });
    this.#attack.addEventListener("submit", (e) => {
      e.preventDefault();
      const form = Object.fromEntries(new FormData(this.#attack)) as Record<string, string>;
      void act(this.#submit(this.#attack), async () => {
        const { transactionId, expect } = await post<{ transactionId: string; expect: string }>("/api/forge", form);
        this.#follow(this.#attack, transactionId, `forged (${form.kind}), device must answer ${expect}`);
      });
    });
    const replay = document.getElementById("replay") as HTMLButtonElement;
    replay.addEventListener("click", () => {
      const deviceId = (this.#attack.elements.namedItem("deviceId") as HTMLSelectElement).value;
      void act(replay, async () => {
        const { transactionId } = await post<{ transactionId: string }>("/api/replay", { deviceId });
        this.#follow(this.#attack, transactionId, "replayed, device must answer duplicate");
      });
    });
    this.#brokerToggle.addEventListener("click", () => {
      const up = this.#state?.broker.up ?? true;
      void act(this.#brokerToggle, async () => {
        await post(up ? "/api/broker/down" : "/api/broker/up");
        say(up ? "Broker down: every connection dropped, sessions kept" : "Broker up again");
      });
    });
  }

  update(state: SimState): void {
    const first = this.#state === undefined;
    this.#state = state;
    const url = document.getElementById("broker-url") as HTMLElement;
    url.textContent = state.broker.url;
    const pill = document.getElementById("broker-state") as HTMLElement;
    pill.textContent = state.broker.up ? "up" : "down";
    pill.dataset.state = state.broker.up ? "online" : "off";
    this.#brokerToggle.disabled = !state.broker.embedded;
    this.#brokerToggle.textContent = state.broker.up ? "Take broker down" : "Bring broker up";
    this.#brokerToggle.title = state.broker.embedded ? "" : "An external broker cannot be taken down from here";
    if (first) {
      const devices = state.devices.map((d) => [d.deviceId, `${d.deviceId} (${d.product})`] as [string, string]);
      document.querySelectorAll<HTMLSelectElement>("select[data-devices]").forEach((s) => fill(s, devices));
      document.querySelectorAll<HTMLSelectElement>("select[data-wallets]").forEach((s) => fill(s, state.wallets.map((w) => [w, w])));
      document.querySelectorAll<HTMLSelectElement>("select[data-currencies]").forEach((s) => fill(s, CURRENCIES.map((c) => [c, c])));
      document.querySelectorAll<HTMLSelectElement>("select[data-forgeries]").forEach((s) => fill(s, state.forgeries.map((f) => [f.kind, f.label])));
    }
    for (const [feature, present] of Object.entries(state.features)) {
      document.querySelectorAll<HTMLElement>(`[data-waiting=${feature}]`).forEach((e) => (e.hidden = present));
      document.querySelectorAll<HTMLElement>(`[data-needs=${feature}]`).forEach((e) => {
        if (e instanceof HTMLFieldSetElement) e.disabled = !present;
        else e.hidden = !present;
      });
    }
  }

  /** Service and device events: settle the result lines of the transactions they name. */
  event(event: DeviceEvent): void {
    const txn = event.fields.txn;
    if (typeof txn !== "string") return;
    if (event.name === "acked" || event.name === "expired") {
      this.#outcomes.set(txn, event);
      if (this.#outcomes.size > 200) this.#outcomes.delete(this.#outcomes.keys().next().value as string);
    }
    const output = this.#following.get(txn);
    if (!output) return;
    if (event.name === "acked") {
      const reason = event.fields.reason ? ` (${String(event.fields.reason)})` : "";
      output.dataset.outcome = String(event.fields.status);
      output.textContent = `${output.dataset.what}: ${String(event.fields.status)}${reason} · ${txn}`;
      this.#following.delete(txn);
    } else if (event.name === "expired") {
      output.dataset.outcome = "expired";
      output.textContent = `${output.dataset.what}: expired without an ack · ${txn}`;
      this.#following.delete(txn);
    } else if (event.name === "retrying") {
      output.textContent = `${output.dataset.what}: no ack yet, retry ${String(event.fields.attempts)} · ${txn}`;
    }
  }

  #submit(form: HTMLFormElement): HTMLButtonElement | null {
    return form.querySelector("button[type=submit]");
  }

  #follow(form: HTMLFormElement, transactionId: string, what: string): void {
    const output = form.querySelector("output") as HTMLOutputElement;
    for (const [txn, other] of this.#following) if (other === output) this.#following.delete(txn);
    output.dataset.what = what;
    output.dataset.outcome = "sent";
    output.dataset.txn = transactionId;
    output.textContent = `${what}: sent · ${transactionId}`;
    this.#following.set(transactionId, output);
    const known = this.#outcomes.get(transactionId);
    if (known) this.event(known);
  }
}
