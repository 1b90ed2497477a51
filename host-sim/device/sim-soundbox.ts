/**
 * The simulated soundbox's front panel and speaker, for the web UI, scenarios and tests:
 *
 * - controls: volume down/up, replay (hold: today's summary), summary, power (press: "connected?",
 *   hold: switch off; press while off: switch on), pressed through the HAL buttons as a finger
 *   would, so the firmware's own gesture handling decides what they do;
 * - every utterance the firmware speaks (payment, burst, offline summary, replay, today's
 *   summary, volume, status prompt) written as one WAV from the voice it spoke with (the built-in
 *   pack, or the installed one), at the volume it played at, and listed with the URL the web
 *   server serves it from
 *   (/api/device/<device>/announcement/<name>.wav);
 * - its state: volume, what is speaking, how much waits, today's totals.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ButtonId } from "../../hal/buttons";
import type { Device } from "../../firmware/device";
import { LONG_PRESS_MS } from "../../firmware/soundbox/press";
import type { SoundboxState } from "../../firmware/soundbox/soundbox";
import { volumeGain } from "../../firmware/soundbox/volume";
import { missingSounds, renderSounds } from "../audio/render";
import type { ClipLibrary } from "../audio/render";
import { encodeWav } from "../audio/wav";
import type { SimButtons } from "../hal/panel";
import type { DeviceEvent, EventLog } from "./event-log";

export type SoundboxControlId = "volumeDown" | "volumeUp" | "replay" | "summary" | "power";

export interface SoundboxControl {
  id: SoundboxControlId;
  label: string;
  /** What a short press does. */
  press: string;
  /** What holding it does. */
  hold: string;
}

/** The soundbox's buttons as a panel shows them, left to right. */
export const SOUNDBOX_CONTROLS: readonly SoundboxControl[] = Object.freeze([
  { id: "volumeDown", label: "Vol −", press: "volume down one level, says the level", hold: "the same" },
  { id: "volumeUp", label: "Vol +", press: "volume up one level, says the level", hold: "the same" },
  { id: "replay", label: "Replay", press: "says the latest payments, newest first", hold: "says today's summary" },
  { id: "summary", label: "Summary", press: "says today's summary", hold: "the same" },
  { id: "power", label: "Power", press: "says connected or no network; switches on when off", hold: "switches off" },
]);

const BUTTON_OF: Record<Exclude<SoundboxControlId, "power">, ButtonId> = {
  volumeDown: "volumeDown",
  volumeUp: "volumeUp",
  replay: "replay",
  summary: "function",
};

const SHORT_HOLD_MS = 80;
const KEPT_ANNOUNCEMENTS = 50;

/** One utterance the soundbox spoke. */
export interface SpokenAnnouncement {
  at: number;
  kind: string;
  txn?: string;
  clips: string;
  /** The voice it spoke with: "built-in", or the installed pack ("hi 1.1.0"). */
  voice: string;
  /** Volume level it played at. */
  volume: number;
  /** The WAV's path and the URL the web server serves it at, when a voice pack and a WAV directory are set. */
  file?: string;
  url?: string;
}

export interface SimSoundboxState extends SoundboxState {
  running: true;
  announcements: SpokenAnnouncement[];
}

/** What a SimSoundbox needs of its SimDevice. */
export interface SoundboxHost {
  readonly options: { deviceId: string };
  readonly log: EventLog;
  readonly buttons: SimButtons;
  readonly running: boolean;
  readonly firmware: Device;
  start(): void;
  powerOff(): void;
  voiceFor(label: string): ClipLibrary | undefined;
}

export class SimSoundbox {
  readonly announcements: SpokenAnnouncement[] = [];
  #files = 0;

  constructor(
    private readonly host: SoundboxHost,
    private readonly wavDir: string | undefined,
  ) {
    if (wavDir) mkdirSync(wavDir, { recursive: true });
    host.log.listen((event) => {
      if (event.name === "spoken") this.#spoken(event);
    });
  }

  /** Presses a control as a finger would; resolves when it is released. */
  async press(control: SoundboxControlId, options: { hold?: boolean } = {}): Promise<void> {
    const host = this.host;
    if (control === "power") {
      if (!host.running) host.start();
      else if (options.hold) host.powerOff();
      else await host.buttons.press("power", SHORT_HOLD_MS);
      return;
    }
    if (!host.running) throw new Error(`${host.options.deviceId} is switched off`);
    await host.buttons.press(BUTTON_OF[control], options.hold ? LONG_PRESS_MS + 100 : SHORT_HOLD_MS);
  }

  /** Undefined while switched off. */
  state(): SimSoundboxState | undefined {
    const soundbox = this.host.running ? this.host.firmware.soundbox : undefined;
    if (!soundbox) return undefined;
    return { ...soundbox.state, running: true, announcements: this.announcements.slice() };
  }

  #spoken(event: DeviceEvent): void {
    const f = event.fields;
    const clips = typeof f.clips === "string" ? f.clips : "";
    const volume = this.host.running ? (this.host.firmware.soundbox?.state.volume ?? 0) : 0;
    const announcement: SpokenAnnouncement = { at: event.at, kind: String(f.kind), clips, voice: String(f.voice), volume };
    if (typeof f.txn === "string") announcement.txn = f.txn;
    this.announcements.push(announcement);
    if (this.announcements.length > KEPT_ANNOUNCEMENTS) this.announcements.shift();
    this.#writeWav(announcement);
  }

  #writeWav(announcement: SpokenAnnouncement): void {
    const { wavDir, host } = this;
    const voice = host.voiceFor(announcement.voice);
    const names = announcement.clips.split(" ").filter((name) => name !== "");
    if (!voice || !wavDir || names.length === 0) return;
    const playable = names.filter((name) => missingSounds(voice, [name]).length === 0);
    if (playable.length === 0) return;
    // A payment keeps its transaction's name, as the announcements directory always had it.
    const file =
      announcement.kind === "payment" && announcement.txn ? `${announcement.txn}.wav` : `${announcement.kind}-${++this.#files}.wav`;
    const path = join(wavDir, file);
    writeFileSync(path, encodeWav(renderSounds(voice, playable, volumeGain(announcement.volume))));
    announcement.file = path;
    announcement.url = `/api/device/${encodeURIComponent(host.options.deviceId)}/announcement/${encodeURIComponent(file)}`;
    host.log.event("info", "wav-written", { kind: announcement.kind, txn: announcement.txn, file: path, url: announcement.url });
  }
}
