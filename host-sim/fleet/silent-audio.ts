/**
 * Audio for virtual soundboxes that render nothing: the HAL's queue semantics (capacity, pending
 * items, callbacks in order) with every sound finished at once. The firmware composes and queues
 * each announcement exactly as on a device; only the samples are skipped. The callbacks of the
 * whole fleet run together from one setImmediate, not one scheduled task per device.
 */
import type { AudioOut, ClipArea } from "../../hal/audio";

export class InstantPlayback {
  #queue: (() => void)[] = [];
  #scheduled = false;

  /** Runs `fn` after the current task, with everything else deferred meanwhile. */
  defer(fn: () => void): void {
    this.#queue.push(fn);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (const fn of queue) fn();
  }
}

export class SilentAudio implements AudioOut {
  readonly capacity = 8;
  readonly sampleRate = 8000;
  /** Items ever queued, and items finished: pending is the difference. */
  #queued = 0;
  #finished = 0;
  /** Bumped by flush, so callbacks queued before it never run. */
  #generation = 0;

  constructor(private readonly playback: InstantPlayback) {}

  pending(): number {
    return this.#queued - this.#finished;
  }

  /** Every clip exists: the fleet carries no voice pack, and nothing is played. */
  hasClip(_name: string): boolean {
    return true;
  }

  enqueueClip(_name: string): void {
    this.#take();
  }

  enqueueSamples(_name: string, _area: ClipArea, _sampleOffset: number, _sampleCount: number): void {
    this.#take();
  }

  enqueueTone(_frequencyHz: number, _ms: number): void {
    this.#take();
  }

  enqueueCallback(onReached: () => void): void {
    this.#take();
    // Everything queued so far, this marker included, has played when it is reached.
    const mark = this.#queued;
    const generation = this.#generation;
    this.playback.defer(() => {
      if (generation !== this.#generation) return;
      if (mark > this.#finished) this.#finished = mark;
      onReached();
    });
  }

  setVolume(_level: number): void {
    if (this.pending() > 0) this.#take();
  }

  flush(): void {
    this.#finished = this.#queued;
    this.#generation++;
  }

  #take(): void {
    if (this.pending() >= this.capacity) throw new Error("audio queue full");
    this.#queued++;
  }
}
