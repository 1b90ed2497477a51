import { checkKvWrite, KvError, type KeyValueStore, type KvValue } from "../kv";

/** A copy of every domain's keys and values, as a device's flash would hold them across a reboot. */
export type KvSnapshot = ReadonlyArray<readonly [domain: string, entries: ReadonlyArray<readonly [key: string, value: KvValue]>]>;

/**
 * A byte value, held as a string of char codes 0–255. The firmware writes a new journal slot at
 * every payment and rewrites today's totals: as ArrayBuffers, a fleet of thousands of stores in one
 * heap holds hundreds of thousands of them, and the collector visits every one of those in the
 * pause that ends each full marking (hundreds of milliseconds; docs/fleet.md, Garbage
 * collection). A string is an ordinary heap object and costs that pause nothing.
 */
class StoredBytes {
  readonly #chars: string;

  constructor(value: ArrayBuffer) {
    const bytes = new Uint8Array(value);
    let chars = "";
    // In slices: apply passes each byte as an argument, and engines cap the argument count.
    for (let i = 0; i < bytes.length; i += 1024) chars += String.fromCharCode.apply(null, bytes.subarray(i, i + 1024) as unknown as number[]);
    this.#chars = chars;
  }

  copy(): ArrayBuffer {
    const chars = this.#chars;
    const bytes = new Uint8Array(chars.length);
    for (let i = 0; i < bytes.length; i++) bytes[i] = chars.charCodeAt(i);
    return bytes.buffer;
  }
}

type Stored = string | number | boolean | StoredBytes;

function store(value: KvValue): Stored {
  return value instanceof ArrayBuffer ? new StoredBytes(value) : value;
}

function load(stored: Stored): KvValue {
  return stored instanceof StoredBytes ? stored.copy() : stored;
}

/**
 * Map-backed key-value store with NVS's limits (`checkKvWrite`). ArrayBuffers are copied on the
 * way in and out, as flash would. `snapshot()` and `MemoryKv.restore()` carry it over a reboot.
 */
export class MemoryKv implements KeyValueStore {
  readonly #domains = new Map<string, Map<string, Stored>>();
  /** Set to false to make every write fail as a full or worn flash would (KvError "storage"). */
  writable = true;
  /** Successful writes and deletes, for tests that count flash wear. */
  writes = 0;

  static restore(snapshot: KvSnapshot): MemoryKv {
    const kv = new MemoryKv();
    for (const [domain, entries] of snapshot) {
      const map = new Map<string, Stored>();
      for (const [key, value] of entries) map.set(key, store(value));
      kv.#domains.set(domain, map);
    }
    return kv;
  }

  get(domain: string, key: string): KvValue | undefined {
    const stored = this.#domains.get(domain)?.get(key);
    return stored === undefined ? undefined : load(stored);
  }

  set(domain: string, key: string, value: KvValue): void {
    checkKvWrite(domain, key, value);
    if (!this.writable) throw new KvError("storage", `${domain}/${key}: store is not writable`);
    let map = this.#domains.get(domain);
    if (!map) this.#domains.set(domain, (map = new Map()));
    map.set(key, store(value));
    this.writes++;
  }

  delete(domain: string, key: string): void {
    if (!this.writable) throw new KvError("storage", `${domain}/${key}: store is not writable`);
    if (this.#domains.get(domain)?.delete(key)) this.writes++;
  }

  keys(domain: string): string[] {
    const map = this.#domains.get(domain);
    return map ? Array.from(map.keys()) : [];
  }

  snapshot(): KvSnapshot {
    const out: [string, [string, KvValue][]][] = [];
    for (const [domain, map] of this.#domains) {
      const entries: [string, KvValue][] = [];
      for (const [key, stored] of map) entries.push([key, load(stored)]);
      out.push([domain, entries]);
    }
    return out;
  }
}
