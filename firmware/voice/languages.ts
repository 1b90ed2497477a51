import { bengali } from "./bn";
import { mandarin } from "./cmn";
import { englishIndia } from "./en-in";
import { gujarati } from "./gu";
import { hindi } from "./hi";
import { indonesian } from "./id";
import type { Language } from "./language";
import { kannada } from "./kn";
import { malayalam } from "./ml";
import { marathi } from "./mr";
import { odia } from "./or";
import { punjabi } from "./pa";
import { tamil } from "./ta";
import { telugu } from "./te";
import { thai } from "./th";

/** Every language the firmware speaks; each has a voice pack voice/<code>/. */
export const LANGUAGES: readonly Language[] = [englishIndia, hindi, bengali, marathi, gujarati, punjabi, odia, tamil, telugu, kannada, malayalam, mandarin, thai, indonesian];

export const FALLBACK_LANGUAGE = englishIndia;

export function languageFor(code: string): Language | undefined {
  return LANGUAGES.find((language) => language.code === code);
}
