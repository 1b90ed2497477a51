import { englishIndia } from "./en-in";
import type { Language } from "./language";

const LANGUAGES: readonly Language[] = [englishIndia];

export const FALLBACK_LANGUAGE = englishIndia;

export function languageFor(code: string): Language | undefined {
  return LANGUAGES.find((language) => language.code === code);
}
