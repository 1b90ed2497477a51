/**
 * Where the soundbox's clips come from: the voice pack built into the firmware image (the
 * platform's named clips), or a pack installed by an update (hal/update.ts, VoicePackAreas),
 * played in place, when it speaks the merchant's language and every clip of it matches its
 * index's hash (firmware/voice/pack-check.ts). A pack that is damaged or incomplete is never
 * played: the built-in pack speaks instead.
 *
 *   start:      the active pack, checked in full  --ok--> installed pack   --fails--> dropped, built-in
 *   check:      a downloaded pack, before the update agent activates it, a few reads per turn
 *   installed:  the pack `check` passed is now active --> speaks from the next utterance
 *
 * The player takes `current` at the start of each utterance, so no sentence mixes two voices.
 */
import { IMA_BLOCK_SAMPLES, type AudioOut, type ClipArea } from "../../hal/audio";
import type { Clock, TimerHandle, Timers } from "../../hal/clock";
import type { Crypto } from "../../hal/crypto";
import type { Log } from "../../hal/log";
import { UpdateStorageError, type InstalledVoicePack, type VoicePackAreas } from "../../hal/update";
import { checkPackNow, PackCheck, type PackExpectation, type PackRead } from "../voice/pack-check";
import { PackImageError, type PackClip, type PackIndex } from "../voice/pack-image";

/** The clips of one voice. */
export interface ClipSource {
  /** "built-in", or the installed pack's language and version ("hi 1.1.0"). */
  readonly label: string;
  has(name: string): boolean;
  /** Queues the clip; throws when the audio queue is full or the clip is unknown. */
  enqueue(name: string): void;
}

/** Which clips the next utterance plays from. */
export interface Voice {
  readonly current: ClipSource;
}

export const BUILT_IN = "built-in";

/** The built-in pack alone: a soundbox without voice-pack storage. */
export function builtInVoice(audio: AudioOut): Voice {
  return { current: new BuiltInClips(audio) };
}

class BuiltInClips implements ClipSource {
  readonly label = BUILT_IN;

  constructor(private readonly audio: AudioOut) {}

  has(name: string): boolean {
    return this.audio.hasClip(name);
  }

  enqueue(name: string): void {
    this.audio.enqueueClip(name);
  }
}

class PackClips implements ClipSource {
  readonly label: string;
  readonly #clips = new Map<string, PackClip>();

  constructor(
    private readonly audio: AudioOut,
    private readonly area: ClipArea,
    index: PackIndex,
  ) {
    this.label = `${index.language} ${index.version}`;
    for (const clip of index.clips) this.#clips.set(clip.name, clip);
  }

  has(name: string): boolean {
    return this.#clips.has(name);
  }

  enqueue(name: string): void {
    const clip = this.#clips.get(name);
    if (!clip) throw new Error(`the installed pack has no clip ${name}`);
    this.audio.enqueueSamples(name, this.area, clip.firstBlock * IMA_BLOCK_SAMPLES, clip.blocks * IMA_BLOCK_SAMPLES);
  }
}

/** What the update agent checks a downloaded pack against, besides its own index. */
export interface PackRelease {
  language: string;
  version: string;
}

export interface VoiceClipsOptions {
  audio: AudioOut;
  voice: VoicePackAreas | undefined;
  crypto: Crypto;
  timers: Timers;
  clock: Clock;
  log: Log;
  /** The merchant's language: an installed pack of another language stays unused. */
  language: string;
}

/** Slices of 4 KB hashed per turn while checking a download, so payments are not held up. */
const READS_PER_TURN = 8;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class VoiceClips implements Voice {
  readonly #o: VoiceClipsOptions;
  readonly #builtIn: ClipSource;
  #current: ClipSource;
  /** The index of the download `check` passed last, for `installed` to speak with. */
  #checked: PackIndex | undefined;

  constructor(options: VoiceClipsOptions) {
    this.#o = options;
    this.#builtIn = new BuiltInClips(options.audio);
    this.#current = this.#builtIn;
  }

  /** The source the next utterance plays from. */
  get current(): ClipSource {
    return this.#current;
  }

  /** At boot, before anything is said: the active pack, checked in full, if it speaks the merchant's language. */
  start(): void {
    const voice = this.#o.voice;
    const pack = voice?.active();
    if (!voice || !pack) return;
    if (pack.language !== this.#o.language) {
      this.#o.log.event("info", "voice-pack-unused", { installed: pack.language, version: pack.version, language: this.#o.language });
      return;
    }
    let index: PackIndex;
    try {
      index = checkPackNow((offset, into) => voice.readActive(offset, into), pack.size, this.#o.crypto, this.#expect(pack));
    } catch (error) {
      if (!(error instanceof PackImageError)) throw error;
      this.#o.log.event("warn", "voice-pack-damaged", { language: pack.language, version: pack.version, detail: error.message });
      voice.deactivate();
      return;
    }
    this.#speak(voice, index);
  }

  /**
   * The update agent's check of a downloaded pack before activation: `done` runs on a later turn
   * with why it cannot be installed, or undefined. Returns a way to stop the check.
   */
  check(read: PackRead, size: number, release: PackRelease, done: (problem: string | undefined) => void): { cancel(): void } {
    const { timers, crypto, clock, log } = this.#o;
    this.#checked = undefined;
    let timer: TimerHandle | undefined;
    let check: PackCheck | undefined;
    const started = clock.now();
    const step = () => {
      timer = undefined;
      try {
        check ??= new PackCheck(read, size, crypto, this.#expect(release));
        if (!check.step(READS_PER_TURN)) {
          timer = timers.once(step, 0);
          return;
        }
      } catch (error) {
        if (!(error instanceof PackImageError)) throw error;
        return done(error.message);
      }
      this.#checked = check.index;
      log.event("info", "voice-pack-checked", { language: check.index.language, version: check.index.version, clips: check.index.clips.length, ms: clock.now() - started });
      done(undefined);
    };
    timer = timers.once(step, 0);
    return {
      cancel: () => {
        if (timer) timers.clear(timer);
        timer = undefined;
      },
    };
  }

  /** The update agent activated a pack: it speaks from the next utterance, if it is the merchant's language. */
  installed(pack: InstalledVoicePack): void {
    const checked = this.#checked;
    this.#checked = undefined;
    const voice = this.#o.voice;
    if (!voice) return;
    if (pack.language !== this.#o.language) {
      this.#o.log.event("info", "voice-pack-unused", { installed: pack.language, version: pack.version, language: this.#o.language });
      return;
    }
    if (checked && checked.language === pack.language && checked.version === pack.version && checked.size === pack.size) this.#speak(voice, checked);
    else this.start();
  }

  #expect(release: PackRelease): PackExpectation {
    return { language: release.language, version: release.version, sampleRate: this.#o.audio.sampleRate };
  }

  #speak(voice: VoicePackAreas, index: PackIndex): void {
    let area: ClipArea;
    try {
      area = voice.activeClips();
    } catch (error) {
      if (!(error instanceof UpdateStorageError)) throw error;
      this.#o.log.event("error", "voice-pack-unplayable", { language: index.language, version: index.version, detail: describe(error) });
      return;
    }
    this.#current = new PackClips(this.#o.audio, area, index);
    this.#o.log.event("info", "voice-pack-speaking", { language: index.language, version: index.version, clips: index.clips.length });
  }
}
