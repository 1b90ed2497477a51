/** Just enough RIFF/WAVE for 16-bit PCM clips: read, and join clips into one file. */
export interface PcmClip {
  sampleRate: number;
  channels: number;
  /** Interleaved 16-bit samples. */
  samples: Int16Array;
}

export function parseWav(file: Uint8Array): PcmClip {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const tag = (at: number) => String.fromCharCode(file[at], file[at + 1], file[at + 2], file[at + 3]);
  if (file.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new Error("not a RIFF/WAVE file");
  let format: { sampleRate: number; channels: number; bits: number } | undefined;
  for (let at = 12; at + 8 <= file.length; ) {
    const id = tag(at);
    // espeak-ng writes 0x7fffffff as the data size when it streams to a pipe.
    const size = Math.min(view.getUint32(at + 4, true), file.length - at - 8);
    if (id === "fmt ") {
      if (view.getUint16(at + 8, true) !== 1) throw new Error("only PCM WAV files are read");
      format = { channels: view.getUint16(at + 10, true), sampleRate: view.getUint32(at + 12, true), bits: view.getUint16(at + 22, true) };
    } else if (id === "data") {
      if (!format || format.bits !== 16) throw new Error("only 16-bit PCM WAV files are read");
      const samples = new Int16Array(Math.floor(size / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(at + 8 + i * 2, true);
      return { sampleRate: format.sampleRate, channels: format.channels, samples };
    }
    at += 8 + size + (size & 1);
  }
  throw new Error("WAV file has no data chunk");
}

export function encodeWav(clip: PcmClip): Uint8Array {
  const dataBytes = clip.samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string) => [...text].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, clip.channels, true);
  view.setUint32(24, clip.sampleRate, true);
  view.setUint32(28, clip.sampleRate * clip.channels * 2, true);
  view.setUint16(32, clip.channels * 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < clip.samples.length; i++) view.setInt16(44 + i * 2, clip.samples[i], true);
  return out;
}

/** Joins clips of one format, scaling by `volume` (0..1) as the device's mixer does. */
export function joinClips(clips: PcmClip[], volume = 1): PcmClip {
  if (clips.length === 0) throw new Error("nothing to join");
  const { sampleRate, channels } = clips[0];
  for (const clip of clips)
    if (clip.sampleRate !== sampleRate || clip.channels !== channels) throw new Error("clips differ in format");
  const samples = new Int16Array(clips.reduce((n, clip) => n + clip.samples.length, 0));
  let at = 0;
  for (const clip of clips) {
    for (let i = 0; i < clip.samples.length; i++) samples[at + i] = Math.round(clip.samples[i] * volume);
    at += clip.samples.length;
  }
  return { sampleRate, channels, samples };
}

/** A square wave at a quarter of full scale, as pins/audioout's Tone command plays it. */
export function toneClip(frequencyHz: number, ms: number, sampleRate: number): PcmClip {
  const samples = new Int16Array(Math.max(1, Math.round((ms * sampleRate) / 1000)));
  const amplitude = 32767 >> 2;
  const period = sampleRate / frequencyHz;
  for (let i = 0; i < samples.length; i++) samples[i] = i % period < period / 2 ? amplitude : -amplitude;
  return { sampleRate, channels: 1, samples };
}
