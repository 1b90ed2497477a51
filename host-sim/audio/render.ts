/**
 * One utterance as one PCM clip: the voice pack's clips (and tones, named as hal/audio's
 * toneName spells them) back to back, at a volume, as the device's speaker plays them.
 */
import type { PcmClip } from "./wav";
import { joinClips, toneClip } from "./wav";

export interface ClipLibrary {
  has(name: string): boolean;
  clip(name: string): PcmClip;
}

const TONE = /^tone:(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/;

/** Names the library lacks (tones never are), in order, without repeats. */
export function missingSounds(library: ClipLibrary, names: readonly string[]): string[] {
  const missing = names.filter((name) => !TONE.test(name) && !library.has(name));
  return [...new Set(missing)];
}

export function renderSounds(library: ClipLibrary, names: readonly string[], volume = 1): PcmClip {
  const missing = missingSounds(library, names);
  if (missing.length > 0) throw new Error(`no clip for ${missing.join(", ")}`);
  const clips = names.filter((name) => !TONE.test(name)).map((name) => library.clip(name));
  const sampleRate = clips[0]?.sampleRate ?? 11025;
  const parts = names.map((name) => {
    const tone = TONE.exec(name);
    return tone ? toneClip(Number(tone[1]), Number(tone[2]), sampleRate) : library.clip(name);
  });
  return joinClips(parts, volume);
}
