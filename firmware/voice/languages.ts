import { bengali } from "./bn";
import { mandarin } from "./cmn";
import { englishIndia } from "./en-in";
import { gujarati } from "./gu";
import { hindi } from "./hi";
import { indonesian } from "./id";
import type { Language } from "./language";
import { marathi } from "./mr";
import { odia } from "./or";
import { punjabi } from "./pa";
import { thai } from "./th";

/** Every language the firmware speaks; each has a voice pack voice/<code>/. */
export const LANGUAGES: readonly Language[] = [englishIndia, hindi, bengali, marathi, gujarati, punjabi, odia, mandarin, thai, indonesian];

export const FALLBACK_LANGUAGE = englishIndia;

export function languageFor(code: string): Language | undefined {
  return LANGUAGES.find((language) => language.code === code);
}
