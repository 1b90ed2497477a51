/**
 * The soundbox product: what it says (payments, summaries, prompts) and what its buttons do.
 *
 * Buttons (short press / long press, see press.ts):
 *   volumeUp, volumeDown   one level up or down (either press), then says the level
 *   replay                 short: the last `replayCount` payments from the journal, newest first;
 *                          long: today's summary
 *   function               today's summary (the "summary" button of the board)
 *   power                  short: says whether the device is connected (hardware owns power-off)
 */
import type { AudioOut } from "../../hal/audio";
import type { ButtonId } from "../../hal/buttons";
import type { Hal } from "../../hal/index";
import { formatAmount, currencyInfo } from "../money";
import type { Journal, JournalEntry } from "../payments/journal";
import type { LateSummary } from "../payments/late-policy";
import type { Language } from "../voice/language";
import { DailyTotals, type DayTotals } from "./daily-totals";
import { composeUtterance, offlineSounds, paymentSounds } from "./phrases";
import { Player } from "./player";
import { PressDetector, type Gesture } from "./press";
import { DEFAULT_SOUNDBOX_SETTINGS, validSoundboxSettings, type SoundboxSettings } from "./settings";
import { SpeechQueue, type QueueState, type UtteranceKind } from "./speech-queue";
import { StatusPrompts } from "./status-prompts";
import { builtInVoice, type Voice } from "./voice-clips";
import { MAX_VOLUME, MIN_VOLUME, Volume } from "./volume";

/** What the simulator and telemetry show of the soundbox. */
export interface SoundboxState {
  volume: number;
  minVolume: number;
  maxVolume: number;
  queue: QueueState;
  speaking: UtteranceKind | undefined;
  waiting: number;
  today: DayTotals;
  /** The voice it speaks with: "built-in", or the installed pack ("hi 1.1.0"). */
  voice: string;
}

type SoundboxHal = Pick<Hal, "clock" | "timers" | "kv" | "log" | "buttons" | "network" | "power"> & { audio: AudioOut };

export class Soundbox {
  readonly #hal: SoundboxHal;
  readonly #language: Language;
  readonly #journal: Journal;
  readonly #settings: SoundboxSettings;
  readonly #player: Player;
  readonly #queue: SpeechQueue;
  readonly #volume: Volume;
  readonly #totals: DailyTotals;
  readonly #presses: PressDetector;
  readonly #prompts: StatusPrompts;
  #sessionOnline = false;
  #unlistenNetwork: (() => void) | undefined;

  constructor(hal: SoundboxHal, language: Language, journal: Journal, settings: SoundboxSettings = DEFAULT_SOUNDBOX_SETTINGS, voice: Voice = builtInVoice(hal.audio)) {
    this.#hal = hal;
    this.#language = language;
    this.#journal = journal;
    this.#settings = validSoundboxSettings(hal.log, settings);
    this.#volume = new Volume(hal.kv, hal.log);
    this.#player = new Player(hal.audio, hal.log, voice);
    this.#player.gain = this.#volume.gain;
    this.#totals = new DailyTotals(hal.kv, hal.log, this.#settings.tzOffsetMinutes, journal.recent(1)[0]?.sequence ?? 0);
    this.#queue = new SpeechQueue({
      player: this.#player,
      log: hal.log,
      burstDepth: this.#settings.burstDepth,
      compose: (utterance) =>
        composeUtterance({ language, homeCurrency: this.#settings.homeCurrency, today: () => this.today() }, utterance),
    });
    this.#presses = new PressDetector(hal.timers, (button, gesture) => this.#gesture(button, gesture));
    this.#prompts = new StatusPrompts({ timers: hal.timers, say: (prompt) => this.#queue.prompt(prompt) });
  }

  /** Says "device ready" and starts listening to the buttons, the network and the battery. */
  start(): void {
    const hal = this.#hal;
    this.#queue.prompt("ready");
    hal.buttons.onChange = (button, pressed) => this.#presses.edge(button, pressed);
    this.#unlistenNetwork?.();
    this.#unlistenNetwork = hal.network.listen((status) => this.#prompts.link(status.link === "up"));
    hal.power.onChange = (status) => this.#prompts.power(status);
    this.#prompts.link(hal.network.status().link === "up");
    this.#prompts.session(this.#sessionOnline);
    this.#prompts.power(hal.power.status());
  }

  stop(): void {
    const hal = this.#hal;
    hal.buttons.onChange = undefined;
    this.#unlistenNetwork?.();
    this.#unlistenNetwork = undefined;
    hal.power.onChange = undefined;
    this.#presses.reset();
    this.#prompts.stop();
    this.#queue.clear();
  }

  /** A journaled payment to announce now: counted into today's totals and queued. */
  payment(entry: JournalEntry): void {
    this.#totals.record(entry);
    const c = entry.confirmation;
    let sounds: string[];
    try {
      sounds = paymentSounds(this.#language, c);
    } catch (error) {
      this.#hal.log.event("error", "unsayable", { kind: "payment", txn: c.transactionId, detail: (error as Error).message });
      return;
    }
    this.#hal.log.event("info", "announced", {
      txn: c.transactionId,
      amount: formatAmount(c.amountMinor, currencyInfo(c.currency)?.exponent ?? 0),
      cur: c.currency,
      lang: this.#language.code,
      clips: sounds.join(" "),
    });
    this.#queue.payment(entry, sounds);
  }

  /** A payment delivered late: counted, and spoken only in the "while you were offline" summary. */
  late(entry: JournalEntry): void {
    this.#totals.record(entry);
  }

  offlineSummary(summary: LateSummary): void {
    const { currency, count, totalMinor } = summary;
    let sounds: string[];
    try {
      sounds = offlineSounds(this.#language, count, totalMinor, currency);
    } catch (error) {
      this.#hal.log.event("error", "unsayable", { kind: "offline", cur: currency, detail: (error as Error).message });
      return;
    }
    const total = formatAmount(totalMinor, currencyInfo(currency)?.exponent ?? 0);
    this.#hal.log.event("info", "offline-summary", { count, total, cur: currency, clips: sounds.join(" ") });
    this.#queue.offline(currency, count, totalMinor, sounds);
  }

  /** The MQTT session went online (true) or lost it (false). */
  session(online: boolean): void {
    this.#sessionOnline = online;
    this.#prompts.session(online);
  }

  /**
   * Queues the latest `count` payments (the configured replayCount by default), newest first;
   * returns how many (0 while a replay is still waiting).
   */
  replay(count = this.#settings.replayCount): number {
    if (this.#queue.has("replay")) {
      this.#hal.log.event("info", "replay-ignored", { reason: "a replay is still waiting" });
      return 0;
    }
    const entries = this.#journal.recent(count);
    this.#hal.log.event("info", "replay", { count: entries.length });
    if (entries.length === 0) {
      // Nothing to replay: today's summary says "no payments".
      this.#queue.request({ kind: "today" });
      return 0;
    }
    for (const entry of entries) this.#queue.request({ kind: "replay", entry });
    return entries.length;
  }

  /** Queues today's summary; returns the totals it will say (as they stand now). */
  summary(): DayTotals {
    this.#queue.request({ kind: "today" });
    return this.today();
  }

  volumeStep(direction: 1 | -1): number {
    const step = this.#volume.step(direction);
    this.#player.gain = this.#volume.gain;
    this.#queue.request({ kind: "volume", level: step.level, changed: step.changed });
    return step.level;
  }

  today(): DayTotals {
    return this.#totals.today(this.#hal.clock.now());
  }

  get state(): SoundboxState {
    return {
      volume: this.#volume.level,
      minVolume: MIN_VOLUME,
      maxVolume: MAX_VOLUME,
      queue: this.#queue.state,
      speaking: this.#queue.current,
      waiting: this.#queue.waiting,
      today: this.today(),
      voice: this.#player.voice,
    };
  }

  #gesture(button: ButtonId, gesture: Gesture): void {
    this.#hal.log.event("info", "button", { button, gesture });
    switch (button) {
      case "volumeUp":
        this.volumeStep(1);
        return;
      case "volumeDown":
        this.volumeStep(-1);
        return;
      case "replay":
        if (gesture === "short") this.replay();
        else this.summary();
        return;
      case "function":
        this.summary();
        return;
      case "power":
        if (gesture === "short") this.#queue.prompt(this.#sessionOnline && this.#hal.network.status().link === "up" ? "connected" : "no_network");
        return;
    }
  }
}
