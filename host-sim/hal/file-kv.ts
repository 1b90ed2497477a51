/**
 * The simulator's NVS: the same limits as the device (checkKvWrite), persisted as JSON so a
 * simulated device keeps its journal and keys across restarts. Each write replaces the file
 * through a rename, so a process killed mid-write leaves the old contents or the new, never half.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { checkKvWrite, KvError, type KeyValueStore, type KvValue } from "../../hal/kv";

type Stored = { t: "s"; v: string } | { t: "n"; v: number } | { t: "b"; v: boolean } | { t: "blob"; v: string };

function toStored(value: KvValue): Stored {
  if (typeof value === "string") return { t: "s", v: value };
  if (typeof value === "number") return { t: "n", v: value };
  if (typeof value === "boolean") return { t: "b", v: value };
  return { t: "blob", v: Buffer.from(value).toString("base64") };
}

function fromStored(stored: Stored): KvValue {
  if (stored.t === "blob") {
    const bytes = Buffer.from(stored.v, "base64");
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }
  return stored.v;
}

export class FileKv implements KeyValueStore {
  readonly #domains = new Map<string, Map<string, Stored>>();

  /** With no path the store lives in memory only. */
  constructor(readonly path?: string) {
    if (!path) return;
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new KvError("storage", `${path} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof data !== "object" || data === null) throw new KvError("storage", `${path} does not hold an object of domains`);
    for (const [domain, entries] of Object.entries(data as Record<string, Record<string, Stored>>))
      this.#domains.set(domain, new Map(Object.entries(entries)));
  }

  get(domain: string, key: string): KvValue | undefined {
    const stored = this.#domains.get(domain)?.get(key);
    return stored === undefined ? undefined : fromStored(stored);
  }

  set(domain: string, key: string, value: KvValue): void {
    checkKvWrite(domain, key, value);
    let entries = this.#domains.get(domain);
    if (!entries) this.#domains.set(domain, (entries = new Map()));
    entries.set(key, toStored(value));
    this.#persist();
  }

  delete(domain: string, key: string): void {
    if (this.#domains.get(domain)?.delete(key)) this.#persist();
  }

  keys(domain: string): string[] {
    return [...(this.#domains.get(domain)?.keys() ?? [])];
  }

  #persist(): void {
    if (!this.path) return;
    const data: Record<string, Record<string, Stored>> = {};
    for (const [domain, entries] of this.#domains) data[domain] = Object.fromEntries(entries);
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(data));
    renameSync(temporary, this.path);
  }
}
