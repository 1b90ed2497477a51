/**
 * The soundbox's speaker in the page: each clip the simulated audio queue starts is fetched (the
 * same WAV the device plays, from the device's voice pack), decoded once, and scheduled right after
 * the previous one at the volume the firmware set, so announcements play gap-free and in order.
 * Browsers allow sound only after a click, so it starts muted behind the "Sound" toggle.
 */

export class Speaker {
  #context: AudioContext | undefined;
  readonly #buffers = new Map<string, Promise<AudioBuffer>>();
  /** Per device: the decode-and-schedule chain and when its last clip ends. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #ends = new Map<string, number>();
  /** Clips scheduled since the page loaded, for tests and the soundbox's activity light. */
  played = 0;

  get enabled(): boolean {
    return this.#context?.state === "running";
  }

  async enable(): Promise<void> {
    this.#context ??= new AudioContext();
    await this.#context.resume();
  }

  async disable(): Promise<void> {
    await this.#context?.suspend();
  }

  /**
   * The device started playing `clip` (a voice clip, or a tone named tone:HZ:MS) at `volume`
   * (0..1), from `voice` ("built-in", or the installed pack as "hi 1.1.0").
   */
  play(deviceId: string, clip: string, volume: number, voice: string): void {
    const context = this.#context;
    if (!context || context.state !== "running") return;
    const tone = /^tone:(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(clip);
    const chain = (this.#chains.get(deviceId) ?? Promise.resolve())
      .then(async () => {
        // The server plays the built-in pack unless told which installed pack the clip came from.
        const from = voice === "built-in" ? "" : `?voice=${encodeURIComponent(voice)}`;
        const url = `/api/device/${encodeURIComponent(deviceId)}/clip/${encodeURIComponent(clip)}.wav${from}`;
        const buffer = tone ? undefined : await this.#buffer(context, url);
        const gain = context.createGain();
        gain.gain.value = Math.max(0, Math.min(1, volume));
        gain.connect(context.destination);
        const start = Math.max(context.currentTime, this.#ends.get(deviceId) ?? 0);
        let duration: number;
        if (tone) {
          // pins/audioout's Tone is a square wave; so is this one.
          const oscillator = context.createOscillator();
          oscillator.type = "square";
          oscillator.frequency.value = Number(tone[1]);
          duration = Number(tone[2]) / 1000;
          oscillator.connect(gain);
          oscillator.start(start);
          oscillator.stop(start + duration);
        } else {
          const source = context.createBufferSource();
          source.buffer = buffer as AudioBuffer;
          duration = source.buffer.duration;
          source.connect(gain);
          source.start(start);
        }
        this.#ends.set(deviceId, start + duration);
        this.played++;
        document.body.dataset.clipsPlayed = String(this.played);
      })
      .catch((error: Error) => console.warn(`speaker: ${clip}: ${error.message}`));
    this.#chains.set(deviceId, chain);
  }

  #buffer(context: AudioContext, url: string): Promise<AudioBuffer> {
    let buffer = this.#buffers.get(url);
    if (!buffer) {
      buffer = fetch(url).then(async (res) => {
        if (!res.ok) throw new Error(`${res.status} for ${url}`);
        return context.decodeAudioData(await res.arrayBuffer());
      });
      buffer.catch(() => this.#buffers.delete(url));
      this.#buffers.set(url, buffer);
    }
    return buffer;
  }
}
