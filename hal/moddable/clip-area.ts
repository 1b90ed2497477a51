/**
 * A voice-pack partition mapped into memory (hal/audio.ts, ClipArea): the `flash` module's
 * map() gives a read-only host buffer over the whole partition, which pins/audioout plays from
 * where it lies. Made by update.ts, played by audio.ts.
 */
import type { ClipArea } from "../audio";

export class MappedClipArea implements ClipArea {
  constructor(
    /** The mapping; holding it keeps the partition mapped (its flash object is referenced from it). */
    readonly buffer: HostBuffer,
    readonly byteLength: number,
  ) {}
}
