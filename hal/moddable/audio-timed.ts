/**
 * An AudioOut that plays nothing and keeps time: each clip "plays" for its MAUD duration
 * (sample count / sample rate, read from the resource's header), then the queue moves on and
 * callbacks run in order. For the desktop simulator, whose audioout on Linux never drains.
 * Needs: "Resource", "timer".
 */
import Resource from "Resource";
import Timer from "timer";
import type { AudioOut, ClipArea } from "../audio";
import { AUDIOOUT_QUEUE_LENGTH } from "./audio";

/** MAUD header: "ma", version 1, bits per sample, u16 sample rate, channels, format, u32 sample count. */
const MAUD_HEADER_BYTES = 12;
/** A clip with an unreadable header plays this long. */
const FALLBACK_MS = 400;

type Item = { kind: "clip"; ms: number } | { kind: "callback"; run: () => void } | { kind: "volume" };

export class TimedAudioOut implements AudioOut {
  readonly capacity: number;
  readonly sampleRate: number;
  readonly #prefix: string;
  readonly #queue: Item[] = [];
  readonly #durations = new Map<string, number>();
  #timer: Timer | undefined;

  constructor(options: { prefix: string; sampleRate: number; capacity?: number }) {
    this.capacity = options.capacity ?? AUDIOOUT_QUEUE_LENGTH;
    this.sampleRate = options.sampleRate;
    this.#prefix = options.prefix;
  }

  pending(): number {
    return this.#queue.length;
  }

  hasClip(name: string): boolean {
    return this.#durations.has(name) || Resource.exists(this.#path(name));
  }

  enqueueClip(name: string): void {
    let ms = this.#durations.get(name);
    if (ms === undefined) {
      const path = this.#path(name);
      if (!Resource.exists(path)) throw new Error(`unknown clip: ${name}`);
      ms = clipMilliseconds(new Resource(path).slice(0, MAUD_HEADER_BYTES));
      this.#durations.set(name, ms);
    }
    this.#push({ kind: "clip", ms });
  }

  enqueueSamples(_name: string, _area: ClipArea, _sampleOffset: number, sampleCount: number): void {
    this.#push({ kind: "clip", ms: Math.ceil((sampleCount * 1000) / this.sampleRate) });
  }

  enqueueTone(_frequencyHz: number, ms: number): void {
    this.#push({ kind: "clip", ms });
  }

  enqueueCallback(onReached: () => void): void {
    this.#push({ kind: "callback", run: onReached });
  }

  /** Nothing is heard, but a change takes its queue item as on the device. */
  setVolume(): void {
    if (this.#queue.length > 0) this.#push({ kind: "volume" });
  }

  flush(): void {
    this.#queue.length = 0;
    if (this.#timer) Timer.clear(this.#timer);
    this.#timer = undefined;
  }

  #push(item: Item): void {
    if (this.#queue.length >= this.capacity) throw new Error("audio queue full");
    this.#queue.push(item);
    // Like the real mixer, progress happens on later turns, never inside enqueue.
    this.#timer ??= Timer.set(() => this.#advance(), 0);
  }

  #advance(): void {
    this.#timer = undefined;
    const head = this.#queue[0];
    if (!head) return;
    if (head.kind === "clip") {
      // The clip occupies its slot while it plays.
      this.#timer = Timer.set(() => {
        this.#timer = undefined;
        this.#queue.shift();
        this.#advance();
      }, head.ms);
      return;
    }
    this.#queue.shift();
    if (head.kind === "callback") head.run();
    if (this.#queue.length) this.#timer ??= Timer.set(() => this.#advance(), 0);
  }

  #path(name: string): string {
    return `${this.#prefix}${name}.maud`;
  }
}

function clipMilliseconds(header: ArrayBuffer): number {
  if (header.byteLength < MAUD_HEADER_BYTES) return FALLBACK_MS;
  const view = new DataView(header);
  if (view.getUint8(0) !== 0x6d || view.getUint8(1) !== 0x61) return FALLBACK_MS; // "ma"
  const sampleRate = view.getUint16(4, true);
  const samples = view.getUint32(8, true);
  return sampleRate ? Math.ceil((samples * 1000) / sampleRate) : FALLBACK_MS;
}
