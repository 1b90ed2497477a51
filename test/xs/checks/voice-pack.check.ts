/**
 * The soundbox's clip source on XS (firmware/soundbox/voice-clips.ts): an installed voice pack,
 * written here from docs/voice.md's format (pack-writer.ts), is checked against its index's
 * hashes and played from its area in place; a damaged one is dropped for the built-in clips; one
 * for another language stays unused; a download is checked a few reads per turn and speaks from
 * the next utterance, never from the middle of one. The speaker is the memory HAL's
 * RecordingAudio, which records the bytes each clip played from.
 */
import { Journal } from "../../../firmware/payments/journal";
import { DEFAULT_SOUNDBOX_SETTINGS } from "../../../firmware/soundbox/settings";
import { Soundbox } from "../../../firmware/soundbox/soundbox";
import { VoiceClips } from "../../../firmware/soundbox/voice-clips";
import { englishIndia } from "../../../firmware/voice/en-in";
import type { TimerHandle } from "../../../hal/clock";
import { createMemoryHal, MemoryUpdateFlash, type MemoryHal, type RecordingAudio } from "../../../hal/memory/index";
import { assert, check, done, equal } from "./assert";
import { blocksAt, clipBlocks, writePack, type WrittenClip } from "./pack-writer";

const INR = { code: "INR", exponent: 2 };
/** Two payments' words and the boot prompt: every clip these checks make the soundbox say. */
const SAID = [...englishIndia.payment({ amountMinor: 25050, currency: INR, provider: "UPI" }), ...englishIndia.payment({ amountMinor: 700, currency: INR, provider: "UPI" }), "device_ready"];
const NAMES = [...new Set(SAID)].sort();

function clipsFor(seed: number, blocks = 1): WrittenClip[] {
  return NAMES.map((name, i) => ({ name, blocks: clipBlocks(seed + i, blocks) }));
}

interface Rig {
  hal: MemoryHal;
  audio: RecordingAudio;
  flash: MemoryUpdateFlash;
  voice: VoiceClips;
  box: Soundbox;
}

/** A soundbox whose update flash holds `install` (as the agent leaves it) in area 0, booted; `turns` counts the voice's timers. */
function rig(install?: { image: Uint8Array; language: string; version: string }, merchant = "en-in", turns = { count: 0 }): Rig {
  const flash = new MemoryUpdateFlash({ slotBytes: 4096, voiceBytes: 64 * 1024 });
  if (install) {
    flash.voiceAreas?.[0].set(install.image);
    flash.activeVoice = { area: 0, pack: { language: install.language, version: install.version, size: install.image.length } };
  }
  const hal = createMemoryHal({ deviceId: "sb-vp", product: "soundbox", clips: NAMES, updateFlash: flash });
  const audio = hal.audio;
  assert(audio, "soundbox audio");
  const timers = {
    once: (callback: () => void, ms: number) => {
      turns.count++;
      return hal.timers.once(callback, ms);
    },
    repeat: (callback: () => void, ms: number) => hal.timers.repeat(callback, ms),
    clear: (handle: TimerHandle) => hal.timers.clear(handle),
  };
  const voice = new VoiceClips({ audio, voice: hal.update?.voice, crypto: hal.crypto, timers, clock: hal.clock, log: hal.log, language: merchant });
  voice.start();
  const box = new Soundbox({ ...hal, audio }, englishIndia, new Journal(hal.kv), DEFAULT_SOUNDBOX_SETTINGS, voice);
  box.start();
  audio.drain();
  return { hal, audio, flash, voice, box };
}

let txn = 0;
function pay(r: Rig, amountMinor: number): void {
  const journal = new Journal(r.hal.kv);
  const entry = journal.append({ transactionId: `T-${++txn}`, amountMinor, currency: "INR", provider: "UPI", confirmedAt: 0, expiresAt: undefined, deviceId: "sb-vp" }, 0);
  r.box.payment(entry);
}

/** What played since `from`: each clip's name and whether its bytes are the pack's. */
function heard(r: Rig, image: Uint8Array | undefined, clips: WrittenClip[], from = 0): string[] {
  return r.audio.played.slice(from).map((name, i) => {
    const data = r.audio.playedData[from + i];
    if (!data) return `${name} built-in`;
    assert(image, `${name} played from a pack`);
    equal(data, blocksAt(image, clips, name), `${name}'s bytes`);
    return `${name} pack`;
  });
}

check("an installed pack of the merchant's language says the boot prompt and a payment, every clip from its area", () => {
  const clips = clipsFor(1);
  const image = writePack(createMemoryHal({ deviceId: "w", product: "soundbox" }).crypto, "en-in", "2.0.0", clips);
  const r = rig({ image, language: "en-in", version: "2.0.0" });
  equal(r.hal.log.named("voice-pack-speaking").map((e) => e.fields.version), ["2.0.0"], "speaking");
  equal(r.box.state.voice, "en-in 2.0.0", "the soundbox's voice");
  pay(r, 25050);
  r.audio.drain();
  const words = englishIndia.payment({ amountMinor: 25050, currency: INR, provider: "UPI" });
  equal(heard(r, image, clips), ["device_ready pack", ...words.map((w) => `${w} pack`)], "played");
});

check("a pack damaged on flash is dropped at boot: the built-in clips speak and no pack is active", () => {
  const clips = clipsFor(2);
  const image = writePack(createMemoryHal({ deviceId: "w", product: "soundbox" }).crypto, "en-in", "2.0.0", clips);
  image[12 + 68 * 3 + 9] ^= 0x04;
  const r = rig({ image, language: "en-in", version: "2.0.0" });
  equal(r.hal.log.named("voice-pack-damaged").map((e) => e.fields.detail), [`clip "${NAMES[3]}" does not match its hash`], "damage found");
  equal(r.flash.activeVoice, undefined, "active pack");
  pay(r, 700);
  r.audio.drain();
  equal(heard(r, undefined, clips).every((line) => line.endsWith(" built-in")), true, "all built-in");
});

check("a pack whose record says another size (cut short) is dropped", () => {
  const clips = clipsFor(3);
  const image = writePack(createMemoryHal({ deviceId: "w", product: "soundbox" }).crypto, "en-in", "2.0.0", clips);
  const r = rig({ image: image.subarray(0, image.length - 33), language: "en-in", version: "2.0.0" });
  equal(r.hal.log.named("voice-pack-damaged").length, 1, "dropped");
  equal(r.box.state.voice, "built-in", "voice");
});

check("a pack for another language stays installed and unused", () => {
  const clips = clipsFor(4);
  const image = writePack(createMemoryHal({ deviceId: "w", product: "soundbox" }).crypto, "hi", "1.0.0", clips);
  const r = rig({ image, language: "hi", version: "1.0.0" });
  equal(r.hal.log.named("voice-pack-unused").map((e) => [e.fields.installed, e.fields.language]), [["hi", "en-in"]], "unused");
  equal(r.flash.activeVoice?.pack.language, "hi", "still installed");
  equal(r.box.state.voice, "built-in", "voice");
});

check("a download is checked over several turns, then speaks from the next utterance, not the one playing", () => {
  const turns = { count: 0 };
  const r = rig(undefined, "en-in", turns);
  // 24 blocks a clip: more than a turn's eight 4 KB reads in all.
  const clips = clipsFor(5, 24);
  const image = writePack(r.hal.crypto, "en-in", "3.0.0", clips);
  const inactive = r.hal.update?.voice?.inactive;
  assert(inactive, "an inactive voice area");
  inactive.open(image.length, 0);
  inactive.write(0, image);
  let result: string | undefined | null = null;
  r.voice.check((offset, into) => inactive.read(offset, into), image.length, { language: "en-in", version: "3.0.0" }, (problem) => (result = problem));
  equal(result, null, "not done at once");
  r.hal.timers.advance(0);
  equal(result, undefined, "no problem");
  // Each turn reads at most eight 4 KB slices (and a clip's last, shorter one).
  const reads = clips.reduce((n, clip) => n + Math.ceil(clip.blocks.length / 4096), 0);
  assert(turns.count >= Math.ceil(reads / 8), `checked over ${turns.count} turns`);
  assert(turns.count > 1, `checked over ${turns.count} turns`);
  pay(r, 25050);
  r.audio.advance(300);
  const before = r.audio.played.length;
  r.hal.update?.voice?.activate({ language: "en-in", version: "3.0.0", size: image.length });
  r.voice.installed({ language: "en-in", version: "3.0.0", size: image.length });
  r.audio.drain();
  equal(heard(r, image, clips, before).every((line) => line.endsWith(" built-in")), true, "the utterance playing stays built-in");
  const next = r.audio.played.length;
  pay(r, 700);
  r.audio.drain();
  equal(heard(r, image, clips, next), englishIndia.payment({ amountMinor: 700, currency: INR, provider: "UPI" }).map((w) => `${w} pack`), "the next one");
});

check("a download whose clip fails its hash is reported by name on a later turn", () => {
  const r = rig();
  const clips = clipsFor(6);
  const image = writePack(r.hal.crypto, "en-in", "3.0.0", clips);
  image[12 + 68 * 5] ^= 0x80;
  let result: string | undefined | null = null;
  r.voice.check((offset, into) => into.set(image.subarray(offset, offset + into.length)), image.length, { language: "en-in", version: "3.0.0" }, (problem) => (result = problem));
  equal(result, null, "not called at once");
  r.hal.timers.advance(0);
  equal(result, `clip "${NAMES[5]}" does not match its hash`, "the problem");
  const other = { language: "en-in", version: "3.0.1" };
  r.voice.check((offset, into) => into.set(image.subarray(offset, offset + into.length)), image.length, other, (problem) => (result = problem));
  r.hal.timers.advance(0);
  equal(result, "the pack is version 3.0.0, the release 3.0.1", "the version");
});

done();
