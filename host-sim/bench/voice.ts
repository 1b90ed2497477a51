/**
 * npm run bench:voice: per language, the pack's size on the device (every clip as a MAUD IMA
 * ADPCM resource: 12-byte header, 68-byte blocks of 129 samples), its clip count and seconds
 * of audio, the bytes of its image as an update ships it and a voice-pack partition holds it
 * (firmware/voice/pack-image.ts), and the oracle's match rate over 1,000 seeded amounts (en-in:
 * its hand-written table). Prints a table, then the same as JSON.
 */
import { performance } from "node:perf_hooks";
import { LANGUAGES } from "../../firmware/voice/languages";
import { buildVoicePacks, SAMPLE_RATE } from "../../scripts/build-voice";
import { ORACLE_LANGUAGES, oracleAmounts, runOracle } from "../audio/voice-oracle";
import { readClipList } from "../audio/voice-source";
import { VOICE_BUILD_DIR } from "../audio/voice-pack";
import { DEFAULT_VOICE_BYTES } from "../hal/update-slots";
import { buildVoiceImage } from "../release/voice-image";
import { join } from "node:path";

export const BUDGET_BYTES = 300 * 1024;
const SEED = 20240601;

const started = performance.now();
const manifests = await buildVoicePacks({ log: () => {} });
const buildMs = performance.now() - started;
const amounts = oracleAmounts(SEED, 1000);
const rows = LANGUAGES.map((language) => {
  const manifest = manifests.find((m) => m.language === language.code);
  if (!manifest) throw new Error(`no pack built for ${language.code}`);
  const oracle = ORACLE_LANGUAGES[language.code] ? runOracle(language, readClipList(language.code), amounts) : undefined;
  const samples = manifest.clips.reduce((n, clip) => n + clip.samples, 0);
  const imageBytes = buildVoiceImage(join(VOICE_BUILD_DIR, language.code)).image.length;
  return {
    language: language.code,
    name: language.name,
    version: manifest.version,
    clips: manifest.clips.length,
    seconds: Math.round((samples / SAMPLE_RATE) * 10) / 10,
    imaBytes: manifest.imaBytes,
    withinBudget: manifest.imaBytes <= BUDGET_BYTES,
    imageBytes,
    oracleRate: oracle ? oracle.rate : null,
    oracleStrictRate: oracle ? oracle.strictRate : null,
    oracleMisses: oracle ? oracle.misses.map((m) => ({ amountMinor: m.amountMinor, number: m.number, reason: m.reason, clips: m.clips.join(" ") })) : [],
  };
});

const pad = (text: string, n: number) => text.padEnd(n);
console.log(`voice packs at ${SAMPLE_RATE} Hz, IMA ADPCM budget ${BUDGET_BYTES} bytes (300 KB); images for a ${DEFAULT_VOICE_BYTES}-byte voice-pack partition; oracle: ${amounts.length} amounts, seed ${SEED}`);
console.log(`${pad("lang", 6)} ${pad("clips", 6)} ${pad("audio s", 8)} ${pad("IMA bytes", 10)} ${pad("budget", 7)} ${pad("image", 7)} ${pad("oracle", 8)} strict`);
for (const r of rows)
  console.log(
    `${pad(r.language, 6)} ${pad(String(r.clips), 6)} ${pad(r.seconds.toFixed(1), 8)} ${pad(String(r.imaBytes), 10)} ${pad(r.withinBudget ? "ok" : "OVER", 7)} ${pad(String(r.imageBytes), 7)} ${pad(r.oracleRate === null ? "table" : `${(r.oracleRate * 100).toFixed(1)}%`, 8)} ${r.oracleStrictRate === null ? "" : `${(r.oracleStrictRate * 100).toFixed(1)}%`}`,
  );
for (const r of rows) for (const m of r.oracleMisses) console.log(`miss ${r.language} ${m.amountMinor} (${m.number}): ${m.reason}: ${m.clips}`);
console.log(`packs built (or checked against the cache) in ${Math.round(buildMs)} ms`);
console.log(JSON.stringify({ sampleRate: SAMPLE_RATE, budgetBytes: BUDGET_BYTES, voicePartitionBytes: DEFAULT_VOICE_BYTES, seed: SEED, amounts: amounts.length, buildMs: Math.round(buildMs), languages: rows }));
