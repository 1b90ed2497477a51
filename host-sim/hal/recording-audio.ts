/**
 * The simulator's speaker: the same queue semantics as the device's audio out (capacity 8,
 * callbacks in order, a volume change queued behind what plays), playing clips and tones in real
 * time from their durations. What plays is reported to a listener, at the volume it plays at.
 */
import { toneName, type AudioOut } from "../../hal/audio";

export interface ClipSource {
  has(name: string): boolean;
  /** Milliseconds the clip lasts. */
  durationMs(name: string): number;
}

type Item =
  | { kind: "clip"; name: string }
  | { kind: "tone"; name: string; ms: number }
  | { kind: "callback"; run: () => void }
  | { kind: "volume"; level: number };

export class RecordingAudio implements AudioOut {
  readonly capacity = 8;
  volume = 1;
  readonly #queue: Item[] = [];
  #playing = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clips: ClipSource,
    private readonly onClip: (name: string, volume: number) => void,
  ) {}

  pending(): number {
    return this.#queue.length;
  }

  hasClip(name: string): boolean {
    return this.clips.has(name);
  }

  enqueueClip(name: string): void {
    if (!this.clips.has(name)) throw new Error(`unknown clip ${name}`);
    this.#push({ kind: "clip", name });
  }

  enqueueTone(frequencyHz: number, ms: number): void {
    if (!(frequencyHz >= 10) || !(ms > 0)) throw new RangeError(`tone of ${frequencyHz} Hz for ${ms} ms`);
    this.#push({ kind: "tone", name: toneName(frequencyHz, ms), ms });
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
    this.onClip(item.name, this.volume);
    this.#timer = setTimeout(
      () => {
        this.#queue.shift();
        this.#playNext();
      },
      item.kind === "tone" ? item.ms : this.clips.durationMs(item.name),
    );
  }
}
