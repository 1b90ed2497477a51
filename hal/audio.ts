/**
 * Audio output as a queue, modelled on one stream of Moddable's `pins/audioout`: the queue is
 * short (8 items per stream by default), clips, tones, volume changes and callbacks each take an
 * item, and a callback item reports progress.
 */
export interface AudioOut {
  /** How many items (clips, tones, volume changes, callbacks) the queue holds at once. */
  readonly capacity: number;
  /** Items queued and not yet finished. */
  pending(): number;
  hasClip(name: string): boolean;
  /** Throws when the queue is full or the clip is unknown. */
  enqueueClip(name: string): void;
  /** A square-wave beep (pins/audioout's Tone), for signals no clip says. Throws when full. */
  enqueueTone(frequencyHz: number, ms: number): void;
  /** Queues a marker; `onReached` runs when everything queued before it has played. */
  enqueueCallback(onReached: () => void): void;
  /**
   * 0 (mute) to 1 (full scale), for what is queued after this call, as pins/audioout's Volume
   * command does: it takes a queue item while anything is queued, none when the queue is empty.
   * Throws when the queue is full.
   */
  setVolume(level: number): void;
  /** Drops everything queued; pending callbacks do not run. */
  flush(): void;
}

/** How a tone shows up where clips are named (recordings, logs): never a valid clip name. */
export function toneName(frequencyHz: number, ms: number): string {
  return `tone:${frequencyHz}:${ms}`;
}
