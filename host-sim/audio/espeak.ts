/**
 * espeak-ng as a phonemiser: many texts through one process. Texts go in as paragraphs (blank
 * line between them) because espeak joins consecutive lines into one clause, and paragraphs
 * come back as paragraphs, so the n-th answer belongs to the n-th text.
 */
import { execFileSync } from "node:child_process";

export function phonemize(voice: string, texts: readonly string[]): string[] {
  if (texts.length === 0) return [];
  for (const text of texts)
    if (!text.trim() || /\n\s*\n/.test(text)) throw new Error(`cannot phonemize ${JSON.stringify(text)}: empty or several paragraphs`);
  const output = execFileSync("espeak-ng", ["-v", voice, "-q", "-x"], {
    input: texts.map((text) => text.replace(/\s+/g, " ").trim()).join("\n\n") + "\n",
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const answers = output.split(/\n[ \t]*\n/).map((part) => part.trim()).filter((part, i, all) => part !== "" || i < all.length - 1);
  if (answers.length !== texts.length)
    throw new Error(`espeak-ng -v ${voice} answered ${answers.length} paragraphs for ${texts.length} texts`);
  return answers.map((answer) => answer.replace(/\s*\n\s*/g, " "));
}
