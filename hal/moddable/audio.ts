/**
 * Audio clips through Moddable's `pins/audioout` (I2S on ESP32; a MAX98357A amplifier on the
 * soundbox). Built-in clips are MAUD resources that the manifest builds from the voice pack's
 * `<clip>.wav` files (one language per build: mcrez names resources by file name, without
 * folders); a clip named "n5" is the resource `<prefix>n5.maud`, the prefix normally "".
 * An installed pack's clips are played from its mapped partition (clip-area.ts): audioout's
 * Samples command takes a host buffer, reads the MAUD header at its start, and plays `count`
 * samples from `offset` in place (modules/pins/i2s/audioout.c, xs_audioout_enqueue).
 * Needs: "pins/audioout" ($(MODULES)/pins/i2s/manifest.json), "Resource".
 *
 * The desktop simulator's audioout on Linux neither plays nor reports progress: use
 * TimedAudioOut (audio-timed.ts) there.
 */
import AudioOutPins from "pins/audioout";
import Resource from "Resource";
import type { AudioOut, ClipArea } from "../audio";
import { MappedClipArea } from "./clip-area";

/** MODDEF_AUDIOOUT_QUEUELENGTH: the manifest leaves it at the SDK default. */
export const AUDIOOUT_QUEUE_LENGTH = 8;
const STREAM = 0;
/** pins/audioout volume: 0 silent, 256 full scale. */
const FULL_VOLUME = 256;

export interface AudioOptions {
  /** Resource name prefix of the clips ("" for the manifest's voice pack). */
  prefix: string;
  /** Must match the manifest's defines.audioOut (the clips are converted to this rate). */
  sampleRate: number;
  capacity?: number;
}

export class PinsAudioOut implements AudioOut {
  readonly capacity: number;
  readonly sampleRate: number;
  readonly #prefix: string;
  readonly #out: AudioOutPins;
  /** Callback items by id; flush() empties it so that callbacks already due do not run. */
  readonly #callbacks = new Map<number, () => void>();
  /** Resources already opened, by clip name (a Resource is a small handle onto flash). */
  readonly #clips = new Map<string, InstanceType<typeof Resource>>();
  #nextId = 1;

  constructor(options: AudioOptions) {
    this.capacity = options.capacity ?? AUDIOOUT_QUEUE_LENGTH;
    this.#prefix = options.prefix;
    this.sampleRate = options.sampleRate;
    this.#out = new AudioOutPins({ streams: 1, sampleRate: options.sampleRate, numChannels: 1, bitsPerSample: 16 });
    this.#out.callback = (id: number) => {
      const run = this.#callbacks.get(id);
      if (!run) return;
      this.#callbacks.delete(id);
      run();
    };
    this.#out.start();
  }

  pending(): number {
    // length() reports the free slots of the stream's queue.
    return this.capacity - this.#out.length(STREAM);
  }

  hasClip(name: string): boolean {
    return this.#clips.has(name) || Resource.exists(this.#path(name));
  }

  enqueueClip(name: string): void {
    let clip = this.#clips.get(name);
    if (!clip) {
      const path = this.#path(name);
      if (!Resource.exists(path)) throw new Error(`unknown clip: ${name}`);
      clip = new Resource(path);
      this.#clips.set(name, clip);
    }
    this.#checkRoom();
    this.#out.enqueue(STREAM, AudioOutPins.Samples, clip);
  }

  enqueueSamples(_name: string, area: ClipArea, sampleOffset: number, sampleCount: number): void {
    if (!(area instanceof MappedClipArea)) throw new TypeError("audio: not a mapped voice-pack partition");
    this.#checkRoom();
    this.#out.enqueue(STREAM, AudioOutPins.Samples, area.buffer, 1, sampleOffset, sampleCount);
  }

  enqueueTone(frequencyHz: number, ms: number): void {
    this.#checkRoom();
    this.#out.enqueue(STREAM, AudioOutPins.Tone, frequencyHz, Math.max(1, Math.round((ms * this.sampleRate) / 1000)));
  }

  enqueueCallback(onReached: () => void): void {
    this.#checkRoom();
    const id = this.#nextId;
    this.#nextId = id >= 0x3fffffff ? 1 : id + 1;
    this.#callbacks.set(id, onReached);
    this.#out.enqueue(STREAM, AudioOutPins.Callback, id);
  }

  setVolume(level: number): void {
    const clamped = level < 0 ? 0 : level > 1 ? 1 : level;
    // The mixer applies it at once on an idle stream and queues it (one item) on a busy one.
    this.#checkRoom();
    this.#out.enqueue(STREAM, AudioOutPins.Volume, Math.round(clamped * FULL_VOLUME));
  }

  flush(): void {
    this.#callbacks.clear();
    this.#out.enqueue(STREAM, AudioOutPins.Flush);
  }

  #checkRoom(): void {
    if (this.pending() >= this.capacity) throw new Error("audio queue full");
  }

  #path(name: string): string {
    return `${this.#prefix}${name}.maud`;
  }
}
