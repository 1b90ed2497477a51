/**
 * What survives a restart about updates, in the "update" domain of the key-value store (NVS):
 *
 *   man    blob    the signed manifest of the update under way
 *   st     string  "dl" downloading, "ready" downloaded and verified, "trial" switched to it
 *   off    int     bytes of the image known good in the slot (a block boundary)
 *   bh     blob    the block table, once fetched and checked against the manifest
 *   slot   int     the firmware slot the image goes to
 *   floor  string  lowest firmware version a confirmed release allows (its "min")
 *   vfloor string  the same for the active voice pack's language, named by vflang
 *
 * Progress is written at block boundaries only, so a restart repeats at most one block.
 */
import type { KeyValueStore, KvValue } from "../../hal/kv";
import type { SlotIndex } from "../../hal/update";

export const UPDATE_DOMAIN = "update";

export type UpdateStep = "dl" | "ready" | "trial";

export interface UpdateRecord {
  signed: Uint8Array;
  step: UpdateStep;
  offset: number;
  table: Uint8Array | undefined;
  slot: SlotIndex | undefined;
}

const STEPS: readonly UpdateStep[] = ["dl", "ready", "trial"];

function bytes(value: KvValue | undefined): Uint8Array | undefined {
  return value instanceof ArrayBuffer ? new Uint8Array(value) : undefined;
}

function toArrayBuffer(data: Uint8Array): ArrayBuffer {
  return data.slice().buffer;
}

export class UpdateRecords {
  constructor(private readonly kv: KeyValueStore) {}

  /** The update under way, or undefined when there is none or what is stored is unreadable. */
  load(): UpdateRecord | undefined {
    const signed = bytes(this.kv.get(UPDATE_DOMAIN, "man"));
    const step = STEPS.find((s) => s === this.kv.get(UPDATE_DOMAIN, "st"));
    if (!signed || !step) return undefined;
    const offset = this.kv.get(UPDATE_DOMAIN, "off");
    const slot = this.kv.get(UPDATE_DOMAIN, "slot");
    return {
      signed,
      step,
      offset: typeof offset === "number" && offset >= 0 ? offset : 0,
      table: bytes(this.kv.get(UPDATE_DOMAIN, "bh")),
      slot: slot === 0 || slot === 1 ? slot : undefined,
    };
  }

  /** Starts a new update: what an earlier one left is replaced. The step is written last. */
  begin(signed: Uint8Array, slot: SlotIndex | undefined): void {
    this.kv.delete(UPDATE_DOMAIN, "st");
    this.kv.delete(UPDATE_DOMAIN, "bh");
    this.kv.set(UPDATE_DOMAIN, "man", toArrayBuffer(signed));
    this.kv.set(UPDATE_DOMAIN, "off", 0);
    if (slot === undefined) this.kv.delete(UPDATE_DOMAIN, "slot");
    else this.kv.set(UPDATE_DOMAIN, "slot", slot);
    this.kv.set(UPDATE_DOMAIN, "st", "dl");
  }

  saveTable(table: Uint8Array): void {
    this.kv.set(UPDATE_DOMAIN, "bh", toArrayBuffer(table));
  }

  saveOffset(offset: number): void {
    this.kv.set(UPDATE_DOMAIN, "off", offset);
  }

  setStep(step: UpdateStep): void {
    this.kv.set(UPDATE_DOMAIN, "st", step);
  }

  /** The update is over (done, failed or abandoned); the floors stay. */
  clear(): void {
    for (const key of ["st", "man", "off", "bh", "slot"]) this.kv.delete(UPDATE_DOMAIN, key);
  }

  floor(): string | undefined {
    const value = this.kv.get(UPDATE_DOMAIN, "floor");
    return typeof value === "string" ? value : undefined;
  }

  setFloor(version: string): void {
    this.kv.set(UPDATE_DOMAIN, "floor", version);
  }

  voiceFloor(language: string): string | undefined {
    if (this.kv.get(UPDATE_DOMAIN, "vflang") !== language) return undefined;
    const value = this.kv.get(UPDATE_DOMAIN, "vfloor");
    return typeof value === "string" ? value : undefined;
  }

  setVoiceFloor(language: string, version: string): void {
    this.kv.set(UPDATE_DOMAIN, "vflang", language);
    this.kv.set(UPDATE_DOMAIN, "vfloor", version);
  }
}
