/**
 * The device cards: a soundbox (LEDs, speaker, caption of what it says, buttons) and a QR display
 * (its live framebuffer), each with its counters and the simulated world around it (Wi-Fi, power,
 * battery). Built once per device from a template and updated in place, so focus and half-typed
 * input survive updates.
 */
import { currencyInfo, formatAmount } from "../../firmware/money";
import type { DeviceEvent } from "../device/event-log";
import type { DeviceState } from "../control/state";
import type { LinkDownReason } from "../../hal/network";
import { act, post, say } from "./api";
import { ScreenView } from "./screen";
import type { Speaker } from "./speaker";

/** Label, and what a press and a hold (1.5 s) do, as the firmware and the board define them. */
const KEY_LABELS: Record<string, [text: string, name: string]> = {
  volumeDown: ["Vol −", "Volume down: one level, says the level"],
  volumeUp: ["Vol +", "Volume up: one level, says the level"],
  replay: ["Replay", "Replay: says the latest payments; hold: today's summary"],
  function: ["Summary", "Summary: says today's total"],
  power: ["Power", "Power: says whether it is connected; hold: switches off; when off: switches on"],
};
/** What the page says for each reason the firmware's network HAL gives for a link that is down. */
const LINK_REASONS: Record<LinkDownReason, string> = {
  unconfigured: "no network provisioned",
  joining: "joining",
  "wrong-password": "wrong Wi-Fi password",
  lost: "access point out of reach",
};

const KEY_ORDER = ["volumeDown", "volumeUp", "replay", "function", "power"];

/** What each of the firmware's screens (firmware/qr-display ScreenState) tells a person. */
const SCREEN_NAMES: Record<string, string> = {
  idle: "idle, merchant QR",
  "no-merchant": "no merchant configured",
  charge: "charge, dynamic QR",
  success: "payment received",
  mismatch: "paid amount does not match the charge",
  expired: "charge expired",
  cancelled: "charge cancelled",
};

type LedColor = "off" | "green" | "amber" | "red";
interface Led {
  color: LedColor;
  blink: boolean;
  meaning: string;
}

function onlineLed(d: DeviceState): Led {
  if (!d.running) return { color: "off", blink: false, meaning: "off" };
  if (d.link === "down") return { color: "red", blink: d.linkReason === "wrong-password", meaning: `no Wi-Fi${d.linkReason ? `: ${LINK_REASONS[d.linkReason]}` : ""}` };
  if (d.session === "online") return { color: "green", blink: false, meaning: "connected" };
  return { color: "amber", blink: true, meaning: `connecting (${d.session})` };
}

function batteryLed(d: DeviceState): Led {
  if (!d.running) return { color: "off", blink: false, meaning: "off" };
  const { percent, charging } = d.battery;
  if (charging) return { color: "green", blink: true, meaning: `charging, ${percent}%` };
  if (percent <= 10) return { color: "red", blink: true, meaning: `critical, ${percent}%` };
  if (percent <= 20) return { color: "red", blink: false, meaning: `low, ${percent}%` };
  return { color: "green", blink: false, meaning: `${percent}%` };
}

function setLed(el: HTMLElement | null, led: Led, label: string): void {
  if (!el) return;
  el.dataset.color = led.color;
  el.toggleAttribute("data-blink", led.blink);
  el.title = `${label}: ${led.meaning}`;
  el.setAttribute("aria-label", `${label} light ${led.color === "off" ? "off" : led.color}: ${led.meaning}`);
}

function el<T extends HTMLElement = HTMLElement>(root: ParentNode, selector: string): T {
  return root.querySelector(selector) as T;
}

export class DeviceCard {
  readonly root: HTMLElement;
  readonly screen: ScreenView | undefined;
  #state: DeviceState;
  #captions: Record<string, string> = {};
  #statusTimer: number | undefined;
  readonly #keys = new Map<string, HTMLButtonElement>();
  readonly #linkSwitch: HTMLInputElement;
  readonly #battery: HTMLInputElement;
  readonly #charging: HTMLInputElement;
  readonly #cycle: HTMLButtonElement;
  readonly #cut: HTMLButtonElement;
  readonly #switch: HTMLButtonElement;

  constructor(state: DeviceState, private readonly speaker: Speaker) {
    this.#state = state;
    const id = state.deviceId;
    const template = document.getElementById(state.product === "soundbox" ? "soundbox-template" : "display-template") as HTMLTemplateElement;
    this.root = (template.content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
    this.root.dataset.device = id;
    this.root.setAttribute("aria-label", `${state.product === "soundbox" ? "Soundbox" : "QR display"} ${id}`);
    el(this.root, "[data-name]").textContent = id;

    const canvas = this.root.querySelector<HTMLCanvasElement>("[data-screen]");
    if (canvas && state.screen) this.screen = new ScreenView(canvas, id, state.screen.width, state.screen.height);

    const keys = el(this.root, "[data-keys]");
    for (const button of KEY_ORDER.filter((b) => state.buttons.includes(b as never))) {
      const [text, name] = KEY_LABELS[button] ?? [button, button];
      const key = document.createElement("button");
      key.type = "button";
      key.className = `key key-${button}`;
      key.textContent = text;
      key.setAttribute("aria-label", name);
      key.title = name;
      key.dataset.button = button;
      this.#holdable(key, button);
      // The board's power circuit, not the firmware, wakes a switched-off device.
      if (button === "power") key.addEventListener("click", () => !this.#state.running && void act(key, () => post(`/api/device/${id}/power-on`)));
      keys.append(key);
      this.#keys.set(button, key);
    }

    const controls = el(this.root, "[data-controls]");
    controls.innerHTML = `
      <label class="switch"><input type="checkbox" role="switch" data-link> Wi-Fi</label>
      <button type="button" data-cut title="Drop the connection once; the device reconnects by itself">Cut link</button>
      <button type="button" data-switch title="Cut or restore power, as the board's switch does (no goodbye to the broker)">Switch off</button>
      <button type="button" data-cycle title="Power off for a second, then on: the firmware boots from its NVS">Power cycle</button>
      <label class="battery">Battery <input type="range" min="0" max="100" step="1" data-battery></label>
      <label class="switch"><input type="checkbox" data-charging> Charging</label>`;
    this.#linkSwitch = el<HTMLInputElement>(controls, "[data-link]");
    this.#battery = el<HTMLInputElement>(controls, "[data-battery]");
    this.#charging = el<HTMLInputElement>(controls, "[data-charging]");
    this.#cycle = el<HTMLButtonElement>(controls, "[data-cycle]");
    this.#cut = el<HTMLButtonElement>(controls, "[data-cut]");
    this.#switch = el<HTMLButtonElement>(controls, "[data-switch]");
    this.#switch.addEventListener("click", () => void act(this.#switch, () => post(`/api/device/${id}/${this.#state.running ? "power-off" : "power-on"}`)));
    this.#linkSwitch.addEventListener("change", () => void act(null, () => post(`/api/device/${id}/${this.#linkSwitch.checked ? "link-up" : "link-down"}`)));
    this.#cut.addEventListener("click", () => void act(this.#cut, () => post(`/api/device/${id}/cut-link`)));
    this.#cycle.addEventListener("click", () => void act(this.#cycle, () => post(`/api/device/${id}/power-cycle`)));
    this.#battery.addEventListener("change", () => void act(null, () => post(`/api/device/${id}/battery`, { percent: Number(this.#battery.value) })));
    this.#charging.addEventListener("change", () => void act(null, () => post(`/api/device/${id}/battery`, { charging: this.#charging.checked })));

    if (state.product === "soundbox")
      void fetch(`/api/device/${id}/captions`)
        .then((res) => (res.ok ? res.json() : {}))
        .then((captions: Record<string, string>) => (this.#captions = captions));
    this.update(state);
  }

  update(state: DeviceState): void {
    this.#state = state;
    const r = this.root;
    r.classList.toggle("off", !state.running);
    const session = el(r, "[data-session]");
    session.textContent = state.running ? state.session : "off";
    session.dataset.state = state.running ? state.session : "off";
    setLed(r.querySelector("[data-led=online]"), onlineLed(state), "Online");
    setLed(r.querySelector("[data-led=battery]"), batteryLed(state), "Battery");
    if (!state.running) this.#flashStatus("off", "off");
    for (const [button, key] of this.#keys) if (button !== "power") key.disabled = !state.running;
    this.#switch.textContent = state.running ? "Switch off" : "Switch on";
    this.#linkSwitch.checked = state.link === "up";
    this.#cut.disabled = !state.running || state.link === "down";
    if (document.activeElement !== this.#battery) this.#battery.value = String(state.battery.percent);
    this.#charging.checked = state.battery.charging;
    this.#battery.setAttribute("aria-valuetext", `${state.battery.percent}%`);

    const c = state.counters;
    const rows: [string, string][] = [
      ["Received", String(c?.received ?? "–")],
      ["Announced", String(c?.announced ?? "–")],
      ["Duplicates", String(c?.duplicates ?? "–")],
      ["Rejected", c ? String(c.rejected) + (c.rejected ? ` (${Object.entries(c.rejectedBy).map(([k, n]) => `${k} ${n}`).join(", ")})` : "") : "–"],
    ];
    const sb = state.soundbox;
    if (state.product === "soundbox") {
      rows.push(["Volume", sb ? `${sb.volume} of ${sb.maxVolume}` : "–"]);
      rows.push(["Speaking", sb ? `${sb.speaking ?? "–"}${sb.waiting ? `, ${sb.waiting} waiting` : ""}` : "–"]);
      rows.push(["Today", sb ? sb.today.totals.map((t) => `${t.count} · ${t.currency} ${formatAmount(t.totalMinor, currencyInfo(t.currency)?.exponent ?? 2)}`).join(", ") || "no payments" : "–"]);
    }
    if (state.screen) rows.push(["Screen", state.running ? state.screen.state ?? "–" : "dark"]);
    rows.push(["Wi-Fi", state.link === "up" ? `${state.rssi ?? "?"} dBm` : `down${state.linkReason ? `: ${LINK_REASONS[state.linkReason]}` : ""}`]);
    if (state.product === "soundbox") rows.push(["Language", sb && sb.voice !== "built-in" ? `${state.language} (installed pack ${sb.voice})` : state.language]);
    const stats = el(r, "[data-stats]");
    stats.replaceChildren(
      ...rows.flatMap(([name, value]) => {
        const dt = document.createElement("dt");
        dt.textContent = name;
        const dd = document.createElement("dd");
        dd.textContent = value;
        dd.dataset.stat = name.toLowerCase();
        return [dt, dd];
      }),
    );

    this.#spoken(state);

    if (this.screen && state.screen) {
      const name = state.running ? SCREEN_NAMES[state.screen.state ?? ""] ?? state.screen.state ?? "starting" : "dark, device off";
      this.screen.canvas.setAttribute("aria-label", `${state.deviceId} screen: ${name}`);
      this.screen.canvas.dataset.state = state.running ? state.screen.state ?? "" : "off";
      this.screen.want(state.screen.frame);
    }
  }

  /** An event from this device's firmware. */
  event(event: DeviceEvent): void {
    const f = event.fields;
    if (event.name === "clip" && typeof f.clip === "string")
      this.speaker.play(this.#state.deviceId, f.clip, typeof f.volume === "number" ? f.volume : 1, typeof f.voice === "string" ? f.voice : "built-in");
    else if (event.name === "announced") this.#flashStatus("green", `announced ${String(f.amount)} ${String(f.cur)}`);
    // Every utterance (payments, summaries, replays, prompts) is logged as spoken, with its clips.
    else if (event.name === "spoken") this.#caption(String(f.clips ?? ""));
    else if (event.name === "duplicate") this.#flashStatus("amber", "duplicate ignored");
    else if (event.name === "rejected") this.#flashStatus("red", `rejected: ${String(f.reason)}`);
  }

  /** The last utterances, each with its WAV (the whole utterance as the device played it) to play again. */
  #spoken(state: DeviceState): void {
    const list = this.root.querySelector("[data-spoken]");
    const said = state.soundbox?.announcements;
    if (!list || !said) return;
    const latest = said.slice(-3).reverse();
    const key = latest.map((a) => `${a.at}${a.url ?? ""}`).join();
    if ((list as HTMLElement).dataset.key === key) return;
    (list as HTMLElement).dataset.key = key;
    list.replaceChildren(
      ...latest.map((a) => {
        const li = document.createElement("li");
        const words = a.clips.split(" ").map((clip) => this.#captions[clip] ?? clip).join(" ");
        li.title = `${a.kind}: ${words}`;
        if (a.url) {
          const play = document.createElement("button");
          play.type = "button";
          play.className = "play";
          play.textContent = "▶";
          play.title = play.ariaLabel = `Play this ${a.kind} announcement`;
          play.addEventListener("click", () => void new Audio(a.url).play().catch((error: Error) => say(error.message, "error")));
          li.append(play, " ");
        }
        li.append(`${a.kind}: ${words}`);
        return li;
      }),
    );
  }

  #caption(clips: string): void {
    const caption = this.root.querySelector("[data-caption]");
    if (!caption || !clips) return;
    const words = clips.split(" ").map((clip) => this.#captions[clip] ?? clip);
    caption.textContent = `“${words.join(" ")}”`;
  }

  #flashStatus(color: LedColor, meaning: string): void {
    const led = this.root.querySelector<HTMLElement>("[data-led=status]");
    if (!led) return;
    window.clearTimeout(this.#statusTimer);
    setLed(led, { color, blink: false, meaning }, "Status");
    if (color !== "off") this.#statusTimer = window.setTimeout(() => setLed(led, { color: "off", blink: false, meaning: "idle" }, "Status"), 1500);
  }

  /** A key held as long as the pointer (or Space/Enter) holds it: the firmware sees real press lengths. */
  #holdable(key: HTMLButtonElement, button: string): void {
    const id = this.#state.deviceId;
    let down = false;
    const press = (pressed: boolean) => {
      if (down === pressed || (pressed && !this.#state.running)) return;
      down = pressed;
      key.classList.toggle("held", pressed);
      post(`/api/device/${id}/button`, { button, pressed }).catch((error: Error) => say(error.message, "error"));
    };
    key.addEventListener("pointerdown", (e) => {
      key.setPointerCapture(e.pointerId);
      press(true);
    });
    key.addEventListener("pointerup", () => press(false));
    key.addEventListener("pointercancel", () => press(false));
    key.addEventListener("keydown", (e) => {
      if ((e.key === " " || e.key === "Enter") && !e.repeat) {
        e.preventDefault();
        press(true);
      }
    });
    key.addEventListener("keyup", (e) => {
      if (e.key === " " || e.key === "Enter") press(false);
    });
    key.addEventListener("blur", () => press(false));
  }
}
