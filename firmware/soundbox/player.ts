/**
 * Plays announcements one after another through the HAL audio queue. An announcement is never
 * cut off by the next: the next one starts when the previous one's last clip has played. The
 * audio queue is short (8 items on Moddable), so clips are fed in batches, each batch ending
 * with a callback item that feeds the next.
 */
import type { AudioOut } from "../../hal/audio";
import type { Log } from "../../hal/log";

export interface QueuedAnnouncement {
  clips: string[];
  /** Runs when the last clip has played. */
  onPlayed?: () => void;
}

export class Player {
  readonly #audio: AudioOut;
  readonly #log: Log;
  readonly #waiting: QueuedAnnouncement[] = [];
  #current: QueuedAnnouncement | undefined;
  #next = 0;

  constructor(audio: AudioOut, log: Log) {
    this.#audio = audio;
    this.#log = log;
  }

  /** Announcements not yet finished, including the one playing. */
  get depth(): number {
    return this.#waiting.length + (this.#current ? 1 : 0);
  }

  play(announcement: QueuedAnnouncement): void {
    this.#waiting.push(announcement);
    if (!this.#current) this.#startNext();
  }

  #startNext(): void {
    this.#current = this.#waiting.shift();
    this.#next = 0;
    if (this.#current) this.#feed();
  }

  #feed(): void {
    const current = this.#current;
    if (!current) return;
    // One slot stays free for the callback that continues or finishes the announcement.
    const room = this.#audio.capacity - this.#audio.pending() - 1;
    let queued = 0;
    while (queued < room && this.#next < current.clips.length) {
      const clip = current.clips[this.#next++];
      if (!this.#audio.hasClip(clip)) {
        this.#log.event("warn", "clip-missing", { clip });
        continue;
      }
      this.#audio.enqueueClip(clip);
      queued++;
    }
    if (this.#next < current.clips.length) {
      this.#audio.enqueueCallback(() => this.#feed());
    } else {
      this.#audio.enqueueCallback(() => {
        this.#current = undefined;
        current.onPlayed?.();
        this.#startNext();
      });
    }
  }
}
