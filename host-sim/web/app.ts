/**
 * The simulator page. One server-sent event stream feeds everything: an `init` message with the
 * state and recent events, then `batch` messages with new events, the newest frame number of each
 * screen that changed, and the state after them. Nothing polls.
 */
import type { DeviceEvent } from "../device/event-log";
import type { SimState } from "../control/state";
import { say } from "./api";
import { ChargePanel } from "./charge-panel";
import { CommandPanel } from "./command-panel";
import { NfcPanel } from "./nfc-panel";
import { DeviceCard } from "./devices";
import { EventLogView } from "./event-log";
import { ServicePanel } from "./service-panel";
import { Speaker } from "./speaker";

interface Batch {
  events: DeviceEvent[];
  skipped: number;
  frames: Record<string, number>;
  state: SimState;
}

const speaker = new Speaker();
const log = new EventLogView();
const service = new ServicePanel();
const charges = new ChargePanel();
const commands = new CommandPanel();
const nfc = new NfcPanel();
const cards = new Map<string, DeviceCard>();

function render(state: SimState): void {
  const container = document.getElementById("devices") as HTMLElement;
  for (const device of state.devices) {
    const card = cards.get(device.deviceId);
    if (card) card.update(device);
    else {
      const created = new DeviceCard(device, speaker);
      cards.set(device.deviceId, created);
      container.append(created.root);
    }
  }
  service.update(state);
  charges.update(state);
  commands.update(state);
  nfc.update(state);
}

function dispatch(events: DeviceEvent[]): void {
  for (const event of events) {
    cards.get(event.device)?.event(event);
    service.event(event);
    nfc.event(event);
  }
  log.add(events);
}

function connect(): void {
  const stream = new EventSource("/api/events");
  const pill = document.getElementById("stream-state") as HTMLElement;
  stream.addEventListener("open", () => {
    pill.textContent = "live";
    pill.dataset.state = "online";
  });
  stream.addEventListener("error", () => {
    // EventSource reconnects by itself; the next init brings the page up to date.
    pill.textContent = "reconnecting";
    pill.dataset.state = "waiting";
  });
  stream.addEventListener("init", (message) => {
    const init = JSON.parse((message as MessageEvent<string>).data) as { state: SimState; events: DeviceEvent[] };
    render(init.state);
    // Old clips are not replayed: only the log and the captions catch up.
    log.add(init.events);
  });
  stream.addEventListener("batch", (message) => {
    const batch = JSON.parse((message as MessageEvent<string>).data) as Batch;
    dispatch(batch.events);
    if (batch.skipped > 0) say(`${batch.skipped} events not shown (burst)`);
    render(batch.state);
    for (const [deviceId, frame] of Object.entries(batch.frames)) cards.get(deviceId)?.screen?.want(frame);
  });
}

const sound = document.getElementById("sound") as HTMLButtonElement;
sound.addEventListener("click", async () => {
  if (speaker.enabled) await speaker.disable();
  else await speaker.enable();
  sound.setAttribute("aria-pressed", String(speaker.enabled));
  sound.textContent = speaker.enabled ? "Sound on" : "Sound off";
});

connect();
