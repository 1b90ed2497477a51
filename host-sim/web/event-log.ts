/**
 * The live event log: newest first, a bounded number of rows, filterable to the payment pipeline
 * (received, verified, journaled, announced, acked and the ways it ends otherwise) and by text.
 * Rows are added in one DOM update per batch.
 */
import type { DeviceEvent } from "../device/event-log";

const PIPELINE = new Set([
  "published", "retrying", "received", "verified", "journaled", "announced", "duplicate", "rejected", "acked",
  "expired", "late", "offline-summary", "spoken", "recovered", "forged", "replayed", "wav-written", "screen",
  "command", "command-result", "tag-placed", "tag-removed", "tap", "tap-refused", "tap-settled", "phone-read", "nfc-tap", "nfc-error",
  "nfc-provisioned", "nfc-provisioning-refused", "charge-created", "charge-shown", "charge-ack", "charge-mismatch", "charge-expired", "charge-rejected",
  "broker-down", "broker-up", "link-down", "link-up", "link-cut", "power-off", "power-on", "connected", "disconnected",
]);
const ROWS = 500;

function describe(fields: DeviceEvent["fields"]): string {
  return Object.entries(fields)
    .filter(([name]) => name !== "file" && name !== "clips" && name !== "url")
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(" ");
}

export class EventLogView {
  readonly #list: HTMLOListElement;
  readonly #pipelineOnly: HTMLInputElement;
  readonly #filter: HTMLInputElement;

  constructor() {
    this.#list = document.getElementById("events") as HTMLOListElement;
    this.#pipelineOnly = document.getElementById("pipeline-only") as HTMLInputElement;
    this.#filter = document.getElementById("log-filter") as HTMLInputElement;
    const refilter = () => {
      for (const row of this.#list.children) (row as HTMLElement).hidden = !this.#visible(row as HTMLElement);
    };
    this.#pipelineOnly.addEventListener("change", refilter);
    this.#filter.addEventListener("input", refilter);
    document.getElementById("log-clear")?.addEventListener("click", () => this.#list.replaceChildren());
    // A transaction id in a row filters the log to that transaction.
    this.#list.addEventListener("click", (e) => {
      const txn = (e.target as HTMLElement).closest<HTMLElement>("[data-txn-link]")?.dataset.txnLink;
      if (!txn) return;
      this.#filter.value = this.#filter.value === txn ? "" : txn;
      refilter();
    });
  }

  add(events: DeviceEvent[]): void {
    const rows = events.filter((e) => e.level !== "debug").map((e) => this.#row(e));
    if (rows.length === 0) return;
    this.#list.prepend(...rows.reverse());
    while (this.#list.childElementCount > ROWS) this.#list.lastElementChild?.remove();
  }

  #row(event: DeviceEvent): HTMLLIElement {
    const li = document.createElement("li");
    li.className = `event level-${event.level}`;
    li.dataset.name = event.name;
    li.dataset.source = event.device;
    const txn = typeof event.fields.txn === "string" ? event.fields.txn : undefined;
    if (txn) li.dataset.txn = txn;
    const time = document.createElement("time");
    time.dateTime = new Date(event.at).toISOString();
    time.textContent = new Date(event.at).toLocaleTimeString([], { hour12: false }) + `.${String(event.at % 1000).padStart(3, "0")}`;
    const source = document.createElement("span");
    source.className = "source";
    source.textContent = event.device;
    const name = document.createElement("b");
    name.className = `name stage-${event.name}`;
    name.textContent = event.name;
    const detail = document.createElement("span");
    detail.className = "detail";
    detail.textContent = describe(event.fields);
    li.append(time, " ", source, " ", name, " ", detail);
    if (txn) {
      const link = document.createElement("button");
      link.type = "button";
      link.className = "txn";
      link.dataset.txnLink = txn;
      link.textContent = "⌕";
      link.title = `Show only ${txn}`;
      link.setAttribute("aria-label", `Show only events of ${txn}`);
      li.append(" ", link);
    }
    if (event.name === "wav-written" && typeof event.fields.url === "string" && event.fields.url.startsWith("/api/")) {
      const wav = document.createElement("a");
      wav.href = event.fields.url;
      wav.textContent = "WAV";
      wav.title = "The whole announcement as the device played it";
      li.append(" ", wav);
    }
    li.hidden = !this.#visible(li);
    return li;
  }

  #visible(row: HTMLElement): boolean {
    if (this.#pipelineOnly.checked && !PIPELINE.has(row.dataset.name ?? "")) return false;
    const needle = this.#filter.value.trim().toLowerCase();
    return needle === "" || (row.textContent ?? "").toLowerCase().includes(needle);
  }
}
