/**
 * The output directory: owner-only (directories 0700, files 0600), since it holds device keys and
 * passwords. Every file is written to a temporary name beside it and renamed over the old one, so a
 * run that is killed leaves each file either as it was or complete, never half-written. A file
 * whose bytes would not change is left alone (same bytes, same mtime), which keeps reruns quiet.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join, relative } from "node:path";

export type WriteOutcome = "created" | "updated" | "unchanged";

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

export class OutputDir {
  readonly #outcomes = new Map<string, WriteOutcome>();

  constructor(readonly root: string) {}

  /** Creates the directory (and parents) or tightens an existing one to 0700. */
  prepare(): void {
    this.#dir(this.root);
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  relative(path: string): string {
    return relative(this.root, path);
  }

  exists(...parts: string[]): boolean {
    try {
      statSync(this.path(...parts));
      return true;
    } catch {
      return false;
    }
  }

  read(...parts: string[]): Buffer | undefined {
    try {
      return readFileSync(this.path(...parts));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  write(relativePath: string, data: string | Uint8Array, mode = FILE_MODE): WriteOutcome {
    const target = this.path(relativePath);
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.#dir(dirname(target));
    const existing = this.read(relativePath);
    let outcome: WriteOutcome;
    if (existing?.equals(bytes)) {
      // Same contents: only make sure nobody loosened the mode meanwhile.
      if ((statSync(target).mode & 0o777) !== mode) chmodSync(target, mode);
      outcome = "unchanged";
    } else {
      const temporary = join(dirname(target), `.${randomBytes(6).toString("hex")}.tmp`);
      try {
        const fd = openSync(temporary, "wx", mode);
        try {
          writeSync(fd, bytes);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        chmodSync(temporary, mode);
        renameSync(temporary, target);
      } catch (error) {
        rmSync(temporary, { force: true });
        throw error;
      }
      outcome = existing === undefined ? "created" : "updated";
    }
    this.#outcomes.set(relativePath, outcome);
    return outcome;
  }

  /** Records a file this run checked and left as it was, without writing it. */
  keep(relativePath: string): void {
    this.#outcomes.set(relativePath, "unchanged");
  }

  /** What this run did to each file it wrote. */
  get outcomes(): ReadonlyMap<string, WriteOutcome> {
    return this.#outcomes;
  }

  #dir(path: string): void {
    mkdirSync(path, { recursive: true, mode: DIR_MODE });
    // mkdir's mode is subject to the umask and leaves existing directories alone.
    for (let dir = path; ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o777) !== DIR_MODE) chmodSync(dir, DIR_MODE);
      if (dir === this.root || dirname(dir) === dir || !dir.startsWith(this.root)) break;
    }
  }
}
