/**
 * The simulator's speaker: the same queue semantics as the device's audio out (capacity 8,
 * callbacks in order, a volume change queued behind what plays), playing clips and tones in real
 * time from their durations. Named clips come from the built-in pack; samples from an installed
 * pack's clip area are read where they lie, as pins/audioout reads mapped flash. What plays is
 * reported to a listener, at the volume it plays at, with the bytes it played.
 */
import { toneName, type AudioOut, type ClipArea } from "../../hal/audio";
import { bytesClipArea } from "../../hal/memory/clip-area";

export interface ClipSource {
  has(name: string): boolean;
  /** Milliseconds the clip lasts. */
  durationMs(name: string): number;
}

/** One sound as it starts playing. */
export interface PlayedSound {
  /** The clip's name, or a tone as `toneName` spells it. */
  name: string;
  volume: number;
  /** The IMA blocks played from a clip area (a copy, taken when it started); absent for a built-in clip or a tone. */
  blocks?: Uint8Array;
}

type Item =
  | { kind: "clip"; name: string; ms: number; blocks?: Uint8Array }
  | { kind: "callback"; run: () => void }
  | { kind: "volume"; level: number };

export interface RecordingAudioOptions {
  /** The built-in pack. */
  clips: ClipSource;
  onSound(sound: PlayedSound): void;
  /** Speech plays this many times faster than real time; tones keep their length. */
  speechSpeed?: number;
}

export class RecordingAudio implements AudioOut {
  /** The voice packs' rate (scripts/build-voice.ts), which the device's audio out plays at too. */
  static readonly SAMPLE_RATE = 8000;
  readonly capacity = 8;
  readonly sampleRate = RecordingAudio.SAMPLE_RATE;
  volume = 1;
  readonly #o: RecordingAudioOptions;
  readonly #speed: number;
  readonly #queue: Item[] = [];
  #playing = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RecordingAudioOptions) {
    this.#o = options;
    this.#speed = options.speechSpeed ?? 1;
  }

  pending(): number {
    return this.#queue.length;
  }

  hasClip(name: string): boolean {
    return this.#o.clips.has(name);
  }

  enqueueClip(name: string): void {
    if (!this.#o.clips.has(name)) throw new Error(`unknown clip ${name}`);
    this.#push({ kind: "clip", name, ms: this.#o.clips.durationMs(name) / this.#speed });
  }

  enqueueSamples(name: string, area: ClipArea, sampleOffset: number, sampleCount: number): void {
    const blocks = bytesClipArea(area).blocks(sampleOffset, sampleCount);
    this.#push({ kind: "clip", name, ms: (sampleCount * 1000) / this.sampleRate / this.#speed, blocks });
  }

  enqueueTone(frequencyHz: number, ms: number): void {
    if (!(frequencyHz >= 10) || !(ms > 0)) throw new RangeError(`tone of ${frequencyHz} Hz for ${ms} ms`);
    this.#push({ kind: "clip", name: toneName(frequencyHz, ms), ms });
  }

  enqueueCallback(onReached: () => void): void {
    this.#push({ kind: "callback", run: onReached });
  }

  setVolume(level: number): void {
    const clamped = Math.max(0, Math.min(1, level));
    if (this.#queue.length === 0) this.volume = clamped;
    else this.#push({ kind: "volume", level: clamped });
  }

  flush(): void {
    this.#queue.length = 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#playing = false;
  }

  #push(item: Item): void {
    if (this.#queue.length >= this.capacity) throw new Error(`audio queue full (${this.capacity})`);
    this.#queue.push(item);
    if (!this.#playing) this.#playNext();
  }

  #playNext(): void {
    const item = this.#queue[0];
    if (!item) {
      this.#playing = false;
      return;
    }
    this.#playing = true;
    if (item.kind === "callback" || item.kind === "volume") {
      // Like the device's mixer, a callback runs asynchronously once earlier clips are done.
      this.#timer = setTimeout(() => {
        this.#queue.shift();
        if (item.kind === "callback") item.run();
        else this.volume = item.level;
        this.#playNext();
      }, 0);
      return;
    }
    const sound: PlayedSound = { name: item.name, volume: this.volume };
    if (item.blocks) sound.blocks = item.blocks.slice();
    this.#o.onSound(sound);
    this.#timer = setTimeout(() => {
      this.#queue.shift();
      this.#playNext();
    }, item.ms);
  }
}

