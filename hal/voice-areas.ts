/**
 * Voice-pack storage as every platform keeps it: two areas used in turn and a record naming the
 * active one and what it holds. A download goes to the area the record does not name (the first
 * one while none is installed); activation rewrites the record in one step, so a power cut leaves
 * either the old pack or the new one active. Platforms give the two areas, keep the record where
 * it survives a restart (NVS, a file, memory for tests), and say how an area is played in place.
 */
import type { ClipArea } from "./audio";
import { otherSlot, UpdateStorageError, type ImageArea, type InstalledVoicePack, type SlotIndex, type VoicePackAreas } from "./update";

export interface ActiveVoiceArea {
  area: SlotIndex;
  pack: InstalledVoicePack;
}

export interface VoiceAreaRecord {
  /** The active area, or undefined when no pack was ever activated (or the record is unreadable). */
  load(): ActiveVoiceArea | undefined;
  /** Replaces the record in one step. */
  save(active: ActiveVoiceArea): void;
  /** Removes the record in one step: no pack is active. */
  clear(): void;
}

export class AlternatingVoiceAreas implements VoicePackAreas {
  constructor(
    private readonly areas: readonly [ImageArea, ImageArea],
    private readonly record: VoiceAreaRecord,
    /** An area as the platform's audio output plays it in place (VoicePackAreas.activeClips). */
    private readonly clips: (area: SlotIndex) => ClipArea,
  ) {}

  get inactive(): ImageArea {
    return this.areas[this.#inactiveIndex()];
  }

  active(): InstalledVoicePack | undefined {
    const active = this.record.load();
    return active && { language: active.pack.language, version: active.pack.version, size: active.pack.size };
  }

  readActive(offset: number, into: Uint8Array): void {
    const active = this.record.load();
    if (!active) throw new UpdateStorageError("io", "no voice pack is installed");
    this.areas[active.area].read(offset, into);
  }

  activeClips(): ClipArea {
    const active = this.record.load();
    if (!active) throw new UpdateStorageError("io", "no voice pack is installed");
    return this.clips(active.area);
  }

  activate(pack: InstalledVoicePack): void {
    this.record.save({ area: this.#inactiveIndex(), pack: { language: pack.language, version: pack.version, size: pack.size } });
  }

  deactivate(): void {
    this.record.clear();
  }

  #inactiveIndex(): SlotIndex {
    const active = this.record.load();
    return active ? otherSlot(active.area) : 0;
  }
}
