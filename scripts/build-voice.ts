/**
 * Builds the placeholder voice packs: each voice/<lang>/clips.json (clip name -> words) becomes
 * build/voice/<lang>/<clip>.wav, spoken by espeak-ng and resampled by sox to 11,025 Hz mono
 * 16-bit, the rate the device's IMA ADPCM resources use. A pack is rebuilt only when its
 * clips.json changed. Recorded clips replace these by name (see README, "Voice packs").
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VOICE_BUILD_DIR, VOICE_SOURCE_DIR } from "../host-sim/audio/voice-pack";

export const SAMPLE_RATE = 11025;

/** espeak-ng pads each utterance with silence; joined clips would sound halting with it. */
const TRIM = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse", "pad", "0", "0.04"];

interface ClipList {
  language: string;
  espeakVoice: string;
  clips: Record<string, string>;
}

function require(tool: string, hint: string): void {
  if (spawnSync(tool, ["--version"], { stdio: "ignore" }).error)
    throw new Error(`${tool} is not installed; ${hint}`);
}

export function buildVoicePacks(log: (line: string) => void = console.log): void {
  require("espeak-ng", "install it with: apt-get install -y espeak-ng");
  require("sox", "install it with: apt-get install -y sox");
  for (const language of readdirSync(VOICE_SOURCE_DIR)) {
    const listPath = join(VOICE_SOURCE_DIR, language, "clips.json");
    if (!existsSync(listPath)) continue;
    const source = readFileSync(listPath);
    const stamp = createHash("sha256").update(source).digest("hex");
    const out = join(VOICE_BUILD_DIR, language);
    const stampPath = join(out, ".source-sha256");
    if (existsSync(stampPath) && readFileSync(stampPath, "utf8") === stamp) continue;
    const list = JSON.parse(source.toString("utf8")) as ClipList;
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    for (const [name, words] of Object.entries(list.clips)) {
      if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`${listPath}: clip name ${JSON.stringify(name)} is not [a-z0-9_]+`);
      const raw = execFileSync("espeak-ng", ["-v", list.espeakVoice, "--stdout", words]);
      execFileSync("sox", ["-t", "wav", "-", "-r", String(SAMPLE_RATE), "-c", "1", "-b", "16", join(out, `${name}.wav`), ...TRIM], { input: raw });
    }
    writeFileSync(stampPath, stamp);
    log(`voice: built ${Object.keys(list.clips).length} clips for ${language} in ${out}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    buildVoicePacks();
  } catch (error) {
    console.error(`build-voice: ${(error as Error).message}`);
    process.exit(1);
  }
}
