/**
 * Audio output as a queue of named clips, modelled on Moddable's `pins/audioout`:
 * the queue is short (8 items per stream by default) and a callback item reports progress.
 */
export interface AudioOut {
  /** How many items (clips and callbacks) the queue holds at once. */
  readonly capacity: number;
  /** Items queued and not yet finished. */
  pending(): number;
  hasClip(name: string): boolean;
  /** Throws when the queue is full or the clip is unknown. */
  enqueueClip(name: string): void;
  /** Queues a marker; `onReached` runs when everything queued before it has played. */
  enqueueCallback(onReached: () => void): void;
  /** 0 (mute) to 1 (full scale). */
  setVolume(level: number): void;
  /** Drops everything queued; pending callbacks do not run. */
  flush(): void;
}
