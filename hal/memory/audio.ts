import { toneName, type AudioOut, type ClipArea } from "../audio";
import { bytesClipArea } from "./clip-area";

type Item =
  | { kind: "clip"; name: string; remainingMs: number; data?: Uint8Array }
  | { kind: "callback"; onReached: () => void }
  | { kind: "volume"; level: number };

export interface RecordingAudioOptions {
  /** The clips the voice pack has; `hasClip` answers from this set. */
  clips: Iterable<string>;
  /** Queue length; Moddable's default is 8 per stream. */
  capacity?: number;
  /** Samples per second (default 8000, the voice packs' rate). */
  sampleRate?: number;
  /** How long each clip plays, ms (default 250). */
  clipMs?: number | ((name: string) => number);
}

/**
 * AudioOut that plays nothing and records everything: the clips queued, the clips played, in
 * order. Time is virtual: `advance(ms)` plays for that long, `drain()` until the queue is empty;
 * callback items run when playback reaches them, as `AudioOut.Callback` does.
 */
export class RecordingAudio implements AudioOut {
  readonly capacity: number;
  readonly sampleRate: number;
  /** Every clip accepted by enqueueClip, in order. */
  readonly enqueued: string[] = [];
  /** Every clip (and tone, as `toneName` spells it) that played to its end, in order. */
  readonly played: string[] = [];
  /** The volume each item of `played` played at. */
  readonly playedVolumes: number[] = [];
  /** For each item of `played`: the IMA blocks it played from a clip area, or undefined for a named clip or a tone. */
  readonly playedData: (Uint8Array | undefined)[] = [];
  /** The volume now playing: a queued change applies when playback reaches it. */
  volume = 1;
  readonly #clips: Set<string>;
  readonly #clipMs: (name: string) => number;
  readonly #queue: Item[] = [];

  constructor(options: RecordingAudioOptions) {
    this.#clips = new Set(options.clips);
    this.capacity = options.capacity ?? 8;
    this.sampleRate = options.sampleRate ?? 8000;
    const clipMs = options.clipMs ?? 250;
    this.#clipMs = typeof clipMs === "number" ? () => clipMs : clipMs;
  }

  pending(): number {
    return this.#queue.length;
  }

  hasClip(name: string): boolean {
    return this.#clips.has(name);
  }

  enqueueClip(name: string): void {
    if (!this.#clips.has(name)) throw new Error(`audio: no clip named ${JSON.stringify(name)}`);
    this.#admit({ kind: "clip", name, remainingMs: Math.max(1, this.#clipMs(name)) });
    this.enqueued.push(name);
  }

  enqueueSamples(name: string, area: ClipArea, sampleOffset: number, sampleCount: number): void {
    const data = bytesClipArea(area).blocks(sampleOffset, sampleCount);
    this.#admit({ kind: "clip", name, remainingMs: Math.max(1, Math.round((sampleCount * 1000) / this.sampleRate)), data });
    this.enqueued.push(name);
  }

  enqueueTone(frequencyHz: number, ms: number): void {
    if (!(frequencyHz >= 10) || !(ms > 0)) throw new RangeError(`tone of ${frequencyHz} Hz for ${ms} ms`);
    const name = toneName(frequencyHz, ms);
    this.#admit({ kind: "clip", name, remainingMs: ms });
    this.enqueued.push(name);
  }

  enqueueCallback(onReached: () => void): void {
    this.#admit({ kind: "callback", onReached });
  }

  setVolume(level: number): void {
    if (!(level >= 0 && level <= 1)) throw new RangeError(`volume must be 0 to 1, got ${level}`);
    // As pins/audioout: immediate on an idle stream, otherwise an item that waits its turn.
    if (this.#queue.length === 0) this.volume = level;
    else this.#admit({ kind: "volume", level });
  }

  flush(): void {
    this.#queue.length = 0;
  }

  /** Plays for `ms` of virtual time; callbacks reached run, and may queue more. */
  advance(ms: number): void {
    let budget = ms;
    for (let head = this.#queue[0]; head; head = this.#queue[0]) {
      if (head.kind === "callback") {
        this.#queue.shift();
        head.onReached();
        continue;
      }
      if (head.kind === "volume") {
        this.#queue.shift();
        this.volume = head.level;
        continue;
      }
      if (head.remainingMs > budget) {
        head.remainingMs -= budget;
        return;
      }
      budget -= head.remainingMs;
      this.#queue.shift();
      this.played.push(head.name);
      this.playedVolumes.push(this.volume);
      // What the area held when it played: it is read in place, and may be written later.
      this.playedData.push(head.data?.slice());
    }
  }

  /** Plays until nothing is queued. Throws if callbacks keep queueing past `maxItems`. */
  drain(maxItems = 10_000): void {
    for (let items = 0; this.#queue.length > 0; items++) {
      if (items >= maxItems) throw new Error(`audio: queue still busy after ${maxItems} items`);
      const head = this.#queue[0];
      this.advance(head.kind === "clip" ? head.remainingMs : 0);
    }
  }

  #admit(item: Item): void {
    if (this.#queue.length >= this.capacity) throw new Error(`audio: queue full (${this.capacity} items)`);
    this.#queue.push(item);
  }
}
