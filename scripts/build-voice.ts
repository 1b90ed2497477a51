/**
 * Builds the voice packs: for each voice/<lang>/clips.json, build/voice/<lang>/<clip>.wav
 * (8 kHz mono 16-bit PCM, silence trimmed) and build/voice/<lang>/pack.json (the pack
 * manifest: language, version, clips with sizes and SHA-256 hashes, IMA ADPCM bytes).
 *
 * A clip comes from a recording when voice/<lang>/recorded/<clip>.<ext> exists (any sample
 * rate, channel count or format sox reads), otherwise from espeak-ng as a placeholder. sox
 * resamples both. Every clip is cached under build/voice/.cache by the hash of its input
 * (voice and text, or the recording's bytes) and of this pipeline, so a rebuild only makes the
 * clips whose input changed. See docs/voice.md.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { VOICE_BUILD_DIR } from "../host-sim/audio/voice-pack";
import { clipsOf, readClipList, sourceLanguages, VOICE_SOURCE_DIR, type Clip } from "../host-sim/audio/voice-source";
import { parseWav } from "../host-sim/audio/wav";

/** 8 kHz keeps every pack within 300 KB as IMA ADPCM; speech needs no more (telephone band). */
export const SAMPLE_RATE = 8000;
/** espeak-ng words per minute: a little brisker than its default 175, as soundboxes speak. */
export const DEFAULT_SPEED = 210;

/** espeak-ng pads each utterance with silence; joined clips would sound halting with it. */
const TRIM = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse", "pad", "0", "0.02"];
const SOX_OUT = ["-r", String(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer"];
/** Changes whenever the steps below change, so cached clips from older steps are not reused. */
const PIPELINE = `espeak-ng|sox ${SOX_OUT.join(" ")} ${TRIM.join(" ")}|v1`;
const CACHE_DIR = join(VOICE_BUILD_DIR, ".cache");

/** Moddable's MAUD resource: a 12-byte header, then IMA ADPCM blocks of 129 samples in 68 bytes. */
export const MAUD_HEADER_BYTES = 12;
export const IMA_SAMPLES_PER_BLOCK = 129;
export const IMA_BYTES_PER_BLOCK = 68;

export function imaAdpcmBytes(samples: number): number {
  return MAUD_HEADER_BYTES + Math.ceil(samples / IMA_SAMPLES_PER_BLOCK) * IMA_BYTES_PER_BLOCK;
}

export interface PackClip {
  name: string;
  text: string;
  source: "espeak-ng" | "recorded";
  samples: number;
  wavBytes: number;
  imaBytes: number;
  sha256: string;
}

export interface PackManifest {
  language: string;
  version: string;
  sampleRate: number;
  /** What the device stores: every clip as a MAUD IMA ADPCM resource. */
  imaBytes: number;
  /** SHA-256 over the clip names and hashes, in name order: one value to compare two packs. */
  sha256: string;
  clips: PackClip[];
}

function requireTool(tool: string): void {
  if (spawnSync(tool, ["--version"], { stdio: "ignore" }).error)
    throw new Error(`${tool} is not installed; install it with: apt-get install -y ${tool}`);
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function run(command: string, args: string[], input?: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    // A tool that exits early closes its input; its exit status tells why.
    child.stdin.on("error", () => {});
    child.on("close", (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${command} ${args.join(" ")}: exit ${code}: ${Buffer.concat(err).toString().trim()}`))));
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

function recordingOf(language: string, name: string): string | undefined {
  const dir = join(VOICE_SOURCE_DIR, language, "recorded");
  if (!existsSync(dir)) return undefined;
  const file = readdirSync(dir).find((f) => f.slice(0, f.lastIndexOf(".")) === name);
  return file ? join(dir, file) : undefined;
}

interface Job {
  key: string;
  make(target: string): Promise<void>;
}

function jobFor(language: string, voice: string, speed: number, clip: Clip): { job: Job; source: PackClip["source"] } {
  const recording = recordingOf(language, clip.name);
  if (recording) {
    return {
      source: "recorded",
      job: {
        key: sha256(`${PIPELINE}|recorded|${sha256(readFileSync(recording))}`),
        make: async (target) => void (await run("sox", [recording, ...SOX_OUT, target, ...TRIM])),
      },
    };
  }
  return {
    source: "espeak-ng",
    job: {
      key: sha256(`${PIPELINE}|${voice}|${speed}|${clip.espeak}`),
      make: async (target) => {
        const raw = await run("espeak-ng", ["-v", voice, "-s", String(speed), "--stdout", clip.espeak]);
        await run("sox", ["-t", "wav", "-", ...SOX_OUT, target, ...TRIM], raw);
      },
    },
  };
}

async function runAll(jobs: Job[], parallel: number): Promise<number> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const todo = jobs.filter((job, i) => !existsSync(join(CACHE_DIR, `${job.key}.wav`)) && jobs.findIndex((j) => j.key === job.key) === i);
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const job = todo[next++];
      const final = join(CACHE_DIR, `${job.key}.wav`);
      const partial = `${final}.${process.pid}.tmp.wav`;
      await job.make(partial);
      renameSync(partial, final);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  return todo.length;
}

export interface BuildOptions {
  languages?: string[];
  log?: (line: string) => void;
  /** Clips made at once; espeak-ng and sox wait on process start-up more than on the CPU. */
  parallel?: number;
}

/** Builds every pack (or the ones named); returns their manifests. */
export async function buildVoicePacks(options: BuildOptions = {}): Promise<PackManifest[]> {
  const log = options.log ?? console.log;
  requireTool("espeak-ng");
  requireTool("sox");
  const languages = options.languages ?? sourceLanguages();
  const plans = languages.map((language) => {
    const list = readClipList(language);
    return { list, clips: clipsOf(list).map((clip) => ({ clip, ...jobFor(language, list.espeakVoice, list.espeakSpeed ?? DEFAULT_SPEED, clip) })) };
  });
  const made = await runAll(plans.flatMap((plan) => plan.clips.map((c) => c.job)), options.parallel ?? Math.max(2, cpus().length * 2));
  const manifests: PackManifest[] = [];
  for (const { list, clips } of plans) {
    const out = join(VOICE_BUILD_DIR, list.language);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const packClips: PackClip[] = [];
    for (const { clip, job, source } of clips) {
      const target = join(out, `${clip.name}.wav`);
      copyFileSync(join(CACHE_DIR, `${job.key}.wav`), target);
      const bytes = readFileSync(target);
      const samples = parseWav(bytes).samples.length;
      packClips.push({ name: clip.name, text: clip.text, source, samples, wavBytes: bytes.length, imaBytes: imaAdpcmBytes(samples), sha256: sha256(bytes) });
    }
    packClips.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const manifest: PackManifest = {
      language: list.language,
      version: list.version,
      sampleRate: SAMPLE_RATE,
      imaBytes: packClips.reduce((sum, clip) => sum + clip.imaBytes, 0),
      sha256: sha256(packClips.map((clip) => `${clip.name} ${clip.sha256}\n`).join("")),
      clips: packClips,
    };
    writeFileSync(join(out, "pack.json"), JSON.stringify(manifest, null, 1) + "\n");
    manifests.push(manifest);
  }
  log(`voice: ${manifests.length} packs, ${manifests.reduce((n, m) => n + m.clips.length, 0)} clips (${made} made, the rest cached) in ${VOICE_BUILD_DIR}`);
  return manifests;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const languages = process.argv.slice(2);
  buildVoicePacks({ languages: languages.length ? languages : undefined }).catch((error: Error) => {
    console.error(`build-voice: ${error.message}`);
    process.exit(1);
  });
}
