/**
 * Plays one utterance at a time through the HAL audio queue, to its end: nothing is ever cut
 * off, the next utterance is only accepted once the previous one's last sound has played. The
 * audio queue is short (8 items on Moddable), so sounds are fed in batches, each batch ending
 * with a callback item that feeds the next. A volume change waits for the start of the next
 * utterance, so no utterance changes loudness half-way, and the clips come from the voice
 * chosen at its start (voice-clips.ts), so none mixes two voices.
 */
import type { AudioOut } from "../../hal/audio";
import type { Log } from "../../hal/log";
import type { ClipSource, Voice } from "./voice-clips";

/** A beep, for signals that have no clip. */
export interface Tone {
  readonly hz: number;
  readonly ms: number;
}

/** A clip name of the voice pack, or a tone. */
export type Sound = string | Tone;

/** Played instead of an utterance none of whose clips the pack has, so a press is never met with silence. */
export const FALLBACK_BEEP: Tone = { hz: 880, ms: 150 };

export class Player {
  readonly #audio: AudioOut;
  readonly #log: Log;
  readonly #voice: Voice;
  #clips: ClipSource;
  #sounds: readonly Sound[] = [];
  #next = 0;
  #queuedAny = false;
  #onDone: (() => void) | undefined;
  #busy = false;
  #gain = 1;
  #appliedGain: number | undefined;

  constructor(audio: AudioOut, log: Log, voice: Voice) {
    this.#audio = audio;
    this.#log = log;
    this.#voice = voice;
    this.#clips = voice.current;
  }

  /** The voice of the utterance playing, or of the next one when idle ("built-in", "hi 1.1.0"). */
  get voice(): string {
    return (this.#busy ? this.#clips : this.#voice.current).label;
  }

  /** True from `play` until the utterance's last sound has played. */
  get busy(): boolean {
    return this.#busy;
  }

  /** 0 to 1; applies from the next utterance on. */
  set gain(value: number) {
    this.#gain = value < 0 ? 0 : value > 1 ? 1 : value;
  }

  get gain(): number {
    return this.#gain;
  }

  /** Starts an utterance; `onDone` runs once its last sound has played. Throws while busy. */
  play(sounds: readonly Sound[], onDone: () => void): void {
    if (this.#busy) throw new Error("player: an utterance is still playing");
    this.#busy = true;
    this.#clips = this.#voice.current;
    this.#sounds = sounds;
    this.#next = 0;
    this.#queuedAny = false;
    this.#onDone = onDone;
    if (this.#appliedGain !== this.#gain) {
      this.#audio.setVolume(this.#gain);
      this.#appliedGain = this.#gain;
    }
    this.#feed();
  }

  #feed(): void {
    const audio = this.#audio;
    const sounds = this.#sounds;
    // One slot stays free for the callback that continues or finishes the utterance.
    const room = audio.capacity - audio.pending() - 1;
    let queued = 0;
    while (queued < room && this.#next < sounds.length) {
      const sound = sounds[this.#next++];
      if (typeof sound !== "string") {
        audio.enqueueTone(sound.hz, sound.ms);
      } else if (this.#clips.has(sound)) {
        this.#clips.enqueue(sound);
      } else {
        this.#log.event("warn", "clip-missing", { clip: sound, voice: this.#clips.label });
        continue;
      }
      queued++;
    }
    if (queued > 0) this.#queuedAny = true;
    else if (!this.#queuedAny && this.#next >= sounds.length) {
      audio.enqueueTone(FALLBACK_BEEP.hz, FALLBACK_BEEP.ms);
      this.#queuedAny = true;
    }
    if (this.#next < sounds.length) audio.enqueueCallback(() => this.#feed());
    else audio.enqueueCallback(() => this.#finish());
  }

  #finish(): void {
    const onDone = this.#onDone;
    this.#busy = false;
    this.#sounds = [];
    this.#onDone = undefined;
    onDone?.();
  }
}
