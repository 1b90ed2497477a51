/**
 * A key-value store that passes everything to the one it wraps and records each write that store
 * accepted: what was written where, as the NVS item the device's preference module makes of it,
 * and the NVS entries that takes (nvsItemEntries, the image writer's size rules). Reads are not
 * recorded: they cost the flash nothing.
 */
import type { KeyValueStore, KvValue } from "../../../hal/kv";
import { nvsItemEntries, nvsItemOf, type KvNvsItem } from "../../provision/nvs/kv-image";

export type KvWrite =
  | {
      op: "set";
      domain: string;
      key: string;
      item: KvNvsItem;
      entries: number;
      value: KvValue;
      /** The store held this very value already: ESP-IDF alone would skip the write, Moddable's preference module does not. */
      unchanged?: boolean;
    }
  | { op: "delete"; domain: string; key: string };

function sameValue(a: KvValue | undefined, b: KvValue): boolean {
  if (!(a instanceof ArrayBuffer) || !(b instanceof ArrayBuffer)) return a === b;
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  return x.every((byte, i) => byte === y[i]);
}

export class CountingKv implements KeyValueStore {
  readonly #inner: KeyValueStore;
  readonly #log: KvWrite[];
  readonly #onWrite: (write: KvWrite) => void;

  /** `log` is shared across boots: each boot wraps its new store with the same log. */
  constructor(inner: KeyValueStore, log: KvWrite[], onWrite: (write: KvWrite) => void = () => {}) {
    this.#inner = inner;
    this.#log = log;
    this.#onWrite = onWrite;
  }

  get(domain: string, key: string): KvValue | undefined {
    return this.#inner.get(domain, key);
  }

  set(domain: string, key: string, value: KvValue): void {
    const before = this.#inner.get(domain, key);
    this.#inner.set(domain, key, value);
    const item = nvsItemOf(value);
    const kept = value instanceof ArrayBuffer ? value.slice(0) : value;
    this.#record({ op: "set", domain, key, item, entries: nvsItemEntries(item), value: kept, ...(sameValue(before, value) && { unchanged: true }) });
  }

  /** Deleting a key NVS does not hold writes nothing, so only deletes of stored keys are recorded. */
  delete(domain: string, key: string): void {
    const held = this.#inner.get(domain, key) !== undefined;
    this.#inner.delete(domain, key);
    if (held) this.#record({ op: "delete", domain, key });
  }

  keys(domain: string): string[] {
    return this.#inner.keys(domain);
  }

  #record(write: KvWrite): void {
    this.#log.push(write);
    this.#onWrite(write);
  }
}
