import { checkKvWrite, KvError, type KeyValueStore, type KvValue } from "../kv";

/** A copy of every domain's keys and values, as a device's flash would hold them across a reboot. */
export type KvSnapshot = ReadonlyArray<readonly [domain: string, entries: ReadonlyArray<readonly [key: string, value: KvValue]>]>;

function copyValue(value: KvValue): KvValue {
  return value instanceof ArrayBuffer ? value.slice(0) : value;
}

/**
 * Map-backed key-value store with NVS's limits (`checkKvWrite`). ArrayBuffers are copied on the
 * way in and out, as flash would. `snapshot()` and `MemoryKv.restore()` carry it over a reboot.
 */
export class MemoryKv implements KeyValueStore {
  readonly #domains = new Map<string, Map<string, KvValue>>();
  /** Set to false to make every write fail as a full or worn flash would (KvError "storage"). */
  writable = true;
  /** Successful writes and deletes, for tests that count flash wear. */
  writes = 0;

  static restore(snapshot: KvSnapshot): MemoryKv {
    const kv = new MemoryKv();
    for (const [domain, entries] of snapshot) {
      const map = new Map<string, KvValue>();
      for (const [key, value] of entries) map.set(key, copyValue(value));
      kv.#domains.set(domain, map);
    }
    return kv;
  }

  get(domain: string, key: string): KvValue | undefined {
    const value = this.#domains.get(domain)?.get(key);
    return value === undefined ? undefined : copyValue(value);
  }

  set(domain: string, key: string, value: KvValue): void {
    checkKvWrite(domain, key, value);
    if (!this.writable) throw new KvError("storage", `${domain}/${key}: store is not writable`);
    let map = this.#domains.get(domain);
    if (!map) this.#domains.set(domain, (map = new Map()));
    map.set(key, copyValue(value));
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
      for (const [key, value] of map) entries.push([key, copyValue(value)]);
      out.push([domain, entries]);
    }
    return out;
  }
}
