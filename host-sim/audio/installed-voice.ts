/**
 * The voice pack installed on a simulated soundbox, for what the simulator renders of it (the
 * announcements' WAVs, the web page's speaker): read from the device's active voice-pack area
 * with the firmware's own check, so only a pack the firmware would play is ever heard, and each
 * clip's IMA blocks decoded to PCM.
 */
import type { VoicePackAreas } from "../../hal/update";
import { checkPackNow } from "../../firmware/voice/pack-check";
import { clipBytes, PackImageError } from "../../firmware/voice/pack-image";
import { nodeCrypto } from "../hal/node-crypto";
import type { ClipLibrary } from "./render";
import { decodeIma } from "./ima-adpcm";
import type { PcmClip } from "./wav";

export class InstalledVoice implements ClipLibrary {
  readonly #clips = new Map<string, PcmClip>();

  private constructor(readonly label: string) {}

  /** The active pack, when there is one and it checks out; undefined otherwise. */
  static read(voice: VoicePackAreas, sampleRate: number): InstalledVoice | undefined {
    const pack = voice.active();
    if (!pack) return undefined;
    const read = (offset: number, into: Uint8Array) => voice.readActive(offset, into);
    let index;
    try {
      index = checkPackNow(read, pack.size, nodeCrypto, { language: pack.language, version: pack.version, sampleRate });
    } catch (error) {
      if (error instanceof PackImageError) return undefined;
      throw error;
    }
    const installed = new InstalledVoice(`${index.language} ${index.version}`);
    for (const clip of index.clips) {
      const { offset, length } = clipBytes(clip);
      const blocks = new Uint8Array(length);
      read(offset, blocks);
      installed.#clips.set(clip.name, { sampleRate: index.sampleRate, channels: 1, samples: decodeIma(blocks) });
    }
    return installed;
  }

  has(name: string): boolean {
    return this.#clips.has(name);
  }

  clip(name: string): PcmClip {
    const clip = this.#clips.get(name);
    if (!clip) throw new Error(`the installed pack ${this.label} has no clip ${name}`);
    return clip;
  }
}
