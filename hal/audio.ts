/** Moddable's MAUD audio format, which pins/audioout plays: a 12-byte header, then samples. */
export const MAUD_HEADER_BYTES = 12;
/** IMA ADPCM in MAUD: blocks of 68 bytes (a 4-byte predictor state, then 128 4-bit codes) for 129 samples. */
export const IMA_BLOCK_BYTES = 68;
export const IMA_BLOCK_SAMPLES = 129;

/**
 * Clip data where it lies, for the audio output to play without copying it: a voice pack's
 * clip area (docs/voice.md, "On flash"), which starts with a MAUD header (Moddable's audio
 * resource format) followed by IMA ADPCM blocks. On the device it is a flash partition mapped
 * into memory; in the simulators, bytes. Made by the platform's VoicePackAreas (hal/update.ts)
 * and played only by the same platform's AudioOut, which knows what is behind it.
 */
export interface ClipArea {
  readonly byteLength: number;
}

/**
 * Audio output as a queue, modelled on one stream of Moddable's `pins/audioout`: the queue is
 * short (8 items per stream by default), clips, tones, volume changes and callbacks each take an
 * item, and a callback item reports progress.
 */
export interface AudioOut {
  /** How many items (clips, tones, volume changes, callbacks) the queue holds at once. */
  readonly capacity: number;
  /** Samples per second the output plays; clips must be at this rate. */
  readonly sampleRate: number;
  /** Items queued and not yet finished. */
  pending(): number;
  hasClip(name: string): boolean;
  /** Throws when the queue is full or the clip is unknown. */
  enqueueClip(name: string): void;
  /**
   * Queues samples `sampleOffset` to `sampleOffset + sampleCount` of a clip area, played from
   * where they lie (pins/audioout's Samples command with an offset and a count). Both are whole
   * IMA blocks of the area (multiples of 129 samples). `name` is the clip's, for logs and
   * recordings. Throws when the queue is full or the area is not one this output can play.
   */
  enqueueSamples(name: string, area: ClipArea, sampleOffset: number, sampleCount: number): void;
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
