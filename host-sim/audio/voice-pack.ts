/**
 * A built voice pack on disk (build/voice/<lang>/<clip>.wav), as the simulator's speaker reads it.
 * The device gets the same clips as Moddable resources.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../paths";
import type { ClipSource } from "../hal/recording-audio";
import { parseWav, type PcmClip } from "./wav";

/** Where the clip lists are; kept here too for modules that read both. */
export { VOICE_SOURCE_DIR } from "./voice-source";


export const VOICE_BUILD_DIR = join(projectRoot, "build", "voice");

export class VoicePack implements ClipSource {
  readonly #clips = new Map<string, PcmClip>();

  constructor(readonly language: string, directory = join(VOICE_BUILD_DIR, language)) {
    if (!existsSync(directory)) return;
    for (const file of readdirSync(directory)) {
      if (!file.endsWith(".wav")) continue;
      this.#clips.set(file.slice(0, -4), parseWav(readFileSync(join(directory, file))));
    }
  }

  get size(): number {
    return this.#clips.size;
  }

  has(name: string): boolean {
    return this.#clips.has(name);
  }

  clip(name: string): PcmClip {
    const clip = this.#clips.get(name);
    if (!clip) throw new Error(`voice pack ${this.language} has no clip ${name}`);
    return clip;
  }

  durationMs(name: string): number {
    const clip = this.clip(name);
    return (clip.samples.length / clip.channels / clip.sampleRate) * 1000;
  }
}
