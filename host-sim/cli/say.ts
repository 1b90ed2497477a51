/**
 * `payterm say 1234.50 --currency INR --lang hi --provider UPI --wav out.wav`: the announcement a
 * soundbox makes for a payment, composed by the firmware's language (firmware/voice) from the
 * voice pack's clips, printed as clip names and written as one WAV. The pack is built first if
 * it is missing (`npm run build:voice` rebuilds changed ones).
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_VOLUME, MIN_VOLUME, volumeGain } from "../../firmware/soundbox/volume";
import { providerClip } from "../../firmware/voice/language";
import { languageFor } from "../../firmware/voice/languages";
import { buildVoicePacks } from "../../scripts/build-voice";
import { missingSounds, renderSounds } from "../audio/render";
import { VOICE_BUILD_DIR, VoicePack } from "../audio/voice-pack";
import { sourceLanguages } from "../audio/voice-source";
import { encodeWav } from "../audio/wav";
import { amountArg, currencyArg, integerArg, parseWithPositionals, UsageError } from "./args";
import type { Command } from "./command";

/** The languages both the firmware and a clip list know. */
function languages(): string[] {
  return sourceLanguages()
    .filter((code) => languageFor(code))
    .sort();
}

export const sayCommand: Command = {
  name: "say",
  usage: ["payterm say AMOUNT [--currency ISO4217] [--lang CODE] [--provider NAME] [--volume 1-7] [--wav FILE]"],
  async run(args) {
    const { values: o, positionals } = parseWithPositionals(args, {
      currency: { type: "string", default: "INR" },
      lang: { type: "string", default: "en-in" },
      provider: { type: "string", default: "UPI" },
      volume: { type: "string" },
      wav: { type: "string" },
    });
    if (positionals.length !== 1) throw new UsageError(`say takes one amount, got ${positionals.length === 0 ? "none" : positionals.join(" ")}`);
    const currency = currencyArg(o.currency);
    const amountMinor = amountArg(positionals[0], currency, "the amount");
    const language = languageFor(o.lang);
    if (!language) throw new UsageError(`--lang ${o.lang} is not a voice of this firmware; one of: ${languages().join(", ")}`);
    const level = integerArg(o.volume, "--volume", MIN_VOLUME, MAX_VOLUME);
    const gain = level === undefined ? 1 : volumeGain(level);
    if (o.provider.trim() === "") throw new UsageError("--provider must not be empty");
    if (o.wav === "") throw new UsageError("--wav needs a file name");

    if (!providerClip(o.provider)) console.error(`payterm: provider ${JSON.stringify(o.provider)} has no clip in any pack; announced without its name`);
    const clips = language.payment({ amountMinor, currency, provider: o.provider });
    console.log(clips.join(" "));
    if (o.wav === undefined) return 0;

    if (!existsSync(join(VOICE_BUILD_DIR, language.code, "pack.json"))) await buildVoicePacks({ languages: [language.code], log: () => {} });
    const pack = new VoicePack(language.code);
    const missing = missingSounds(pack, clips);
    if (missing.length > 0) throw new Error(`voice pack ${language.code} has no clip for ${missing.join(", ")}`);
    const pcm = renderSounds(pack, clips, gain);
    writeFileSync(o.wav, encodeWav(pcm));
    const seconds = pcm.samples.length / pcm.channels / pcm.sampleRate;
    console.log(`wrote ${o.wav}: ${clips.length} clips, ${seconds.toFixed(2)} s at ${pcm.sampleRate} Hz`);
    return 0;
  },
};
