/**
 * The source of a voice pack: voice/<lang>/clips.json, clip name -> the text of the clip in the
 * language's script. Number clips carry the numeral in the language's own digits (२५, ২৫, ௨௫):
 * a voice actor reads it as the word, and espeak-ng reads it with its number rules.
 *
 * A clip is either its text, or {text, espeak} when espeak-ng's letter-to-sound rules read the
 * text differently from how its own number rules say the word (Hindi हज़ार: "H@z'a:r" read,
 * "h'VJa:r" in numbers). `espeak` is then what the placeholder voice is given, often espeak's
 * phonemes in [[...]]; recordings follow `text`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../paths";

export const VOICE_SOURCE_DIR = join(projectRoot, "voice");

export interface ClipList {
  language: string;
  /** The espeak-ng voice of the placeholder clips. */
  espeakVoice: string;
  /** espeak-ng words per minute for the placeholder clips, when not the build's default. */
  espeakSpeed?: number;
  /** Pack version; bump it when a clip's text or recording changes. */
  version: string;
  clips: Record<string, string | { text: string; espeak: string }>;
}

export interface Clip {
  name: string;
  /** What the clip says, in the language's script: what a voice actor reads. */
  text: string;
  /** What espeak-ng is given for the placeholder clip. */
  espeak: string;
}

const CLIP_NAME = /^[a-z0-9_]{1,40}$/;

export function readClipList(language: string, directory = VOICE_SOURCE_DIR): ClipList {
  const path = join(directory, language, "clips.json");
  let list: ClipList;
  try {
    list = JSON.parse(readFileSync(path, "utf8")) as ClipList;
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  if (list.language !== language) throw new Error(`${path}: language is ${JSON.stringify(list.language)}, expected ${JSON.stringify(language)}`);
  if (typeof list.espeakVoice !== "string" || !list.espeakVoice) throw new Error(`${path}: espeakVoice missing`);
  if (typeof list.version !== "string" || !/^\d+\.\d+\.\d+$/.test(list.version)) throw new Error(`${path}: version must be MAJOR.MINOR.PATCH`);
  if (list.espeakSpeed !== undefined && !(Number.isInteger(list.espeakSpeed) && list.espeakSpeed >= 80 && list.espeakSpeed <= 450))
    throw new Error(`${path}: espeakSpeed must be a whole number of words per minute, 80..450`);
  if (!list.clips || typeof list.clips !== "object") throw new Error(`${path}: clips missing`);
  for (const name of Object.keys(list.clips)) {
    if (!CLIP_NAME.test(name)) throw new Error(`${path}: clip name ${JSON.stringify(name)} is not [a-z0-9_]{1,40}`);
    const clip = clipOf(list, name);
    if (!clip.text.trim() || !clip.espeak.trim()) throw new Error(`${path}: clip ${name} has no text`);
  }
  return list;
}

export function clipOf(list: ClipList, name: string): Clip {
  const value = list.clips[name];
  if (typeof value === "string") return { name, text: value, espeak: value };
  if (value && typeof value === "object" && typeof value.text === "string" && typeof value.espeak === "string") return { name, text: value.text, espeak: value.espeak };
  throw new Error(`voice/${list.language}/clips.json: clip ${name} is neither a text nor {text, espeak}`);
}

export function clipsOf(list: ClipList): Clip[] {
  return Object.keys(list.clips).map((name) => clipOf(list, name));
}

/** Languages with a clip list, in directory order. */
export function sourceLanguages(directory = VOICE_SOURCE_DIR): string[] {
  return readdirSync(directory)
    .filter((name) => existsSync(join(directory, name, "clips.json")))
    .sort();
}
