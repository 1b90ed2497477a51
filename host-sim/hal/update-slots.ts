/**
 * The simulator's update storage, on disk in one directory per device:
 *
 *   slot0.bin, slot1.bin     the two firmware slots (ESP-IDF's ota_0 and ota_1)
 *   otadata.json             which slot boots, and the trial state (ESP-IDF's otadata)
 *   voice0.bin, voice1.bin   the voice-pack areas
 *   voice.json               which voice area is active, and what it holds
 *
 * Every write goes to disk before the call returns, and the two JSON records are replaced through
 * a rename, so a simulated power cut (SimDevice.powerOff) at any moment leaves what a device's
 * flash would hold. Constructing a FileUpdateStorage is the boot path's step: it counts a trial
 * boot, or returns to the other slot when the trial image has used its boots.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { bootStep, checkAreaOpen, checkAreaWrite, confirmedRecord, keptOnOpen, otherSlot, trialRecord, UpdateStorageError, type BootRecord, type BootState, type FirmwareSlots, type ImageArea, type UpdateStorage } from "../../hal/update";
import { AlternatingVoiceAreas, type ActiveVoiceArea } from "../../hal/voice-areas";
import { BytesClipArea } from "../../hal/memory/clip-area";

/** ESP32 flash erases in 4096-byte sectors: a download continues at a sector boundary. */
const SECTOR_BYTES = 4096;
const ERASED = 0xff;

export interface FileUpdateOptions {
  /** Bytes per firmware slot; ota_0's 1.56 MB in hal/moddable/partitions.csv (ota_1 is a little larger). */
  slotBytes?: number;
  /** Bytes per voice-pack area. */
  voiceBytes?: number;
  /** Written to slot 0 the first time, as the factory flashes it. */
  factoryImage?: () => Uint8Array;
  /**
   * What the boot loader checks before it agrees to boot an image (ESP-IDF verifies the app
   * image): returns why the image cannot boot, or undefined.
   */
  checkImage?: (read: (offset: number, into: Uint8Array) => void, size: number) => string | undefined;
}

export const DEFAULT_SLOT_BYTES = 0x190000;
/** voice0 and voice1 in hal/moddable/partitions.csv. */
export const DEFAULT_VOICE_BYTES = 0x50000;

function writeJsonAtomically(path: string, value: unknown): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(value));
  renameSync(temporary, path);
}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (error) {
    throw new UpdateStorageError("io", `${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** One area in a file: the file's length is how far it has been written since the last erase. */
class FileArea implements ImageArea {
  #size = 0;
  #position = -1;

  constructor(readonly path: string, readonly capacity: number) {}

  open(size: number, from: number): number {
    checkAreaOpen(this.capacity, size, from);
    if (!existsSync(this.path)) writeFileSync(this.path, new Uint8Array(0));
    const written = statSync(this.path).size;
    let kept = keptOnOpen(size, from, SECTOR_BYTES);
    if (kept > written) kept = written - (written % SECTOR_BYTES);
    truncateSync(this.path, kept);
    this.#size = size;
    this.#position = kept;
    return kept;
  }

  write(offset: number, bytes: Uint8Array): void {
    checkAreaWrite(this.capacity, this.#size, this.#position, offset, bytes.length);
    const fd = openSync(this.path, "r+");
    try {
      writeSync(fd, bytes, 0, bytes.length, offset);
    } finally {
      closeSync(fd);
    }
    this.#position += bytes.length;
  }

  read(offset: number, into: Uint8Array): void {
    if (offset < 0 || offset + into.length > this.capacity) throw new UpdateStorageError("size", `read of ${into.length} at ${offset} passes the area`);
    into.fill(ERASED);
    if (!existsSync(this.path)) return;
    const fd = openSync(this.path, "r");
    try {
      readSync(fd, into, 0, into.length, offset);
    } finally {
      closeSync(fd);
    }
  }
}

const FACTORY_RECORD: BootRecord = { slot: 0, trial: false, trialBoots: 0, trialLimit: 0, rolledBack: false };

class FileFirmwareSlots implements FirmwareSlots {
  readonly inactive: FileArea;
  readonly running: FileArea;
  readonly #boot: BootState;
  readonly #record: string;
  readonly #check: FileUpdateOptions["checkImage"];

  constructor(dir: string, options: FileUpdateOptions) {
    const capacity = options.slotBytes ?? DEFAULT_SLOT_BYTES;
    this.#record = join(dir, "otadata.json");
    const slots = [new FileArea(join(dir, "slot0.bin"), capacity), new FileArea(join(dir, "slot1.bin"), capacity)];
    let stored = readJson<BootRecord>(this.#record);
    if (!stored) {
      const factory = options.factoryImage?.();
      if (factory) writeFileSync(slots[0].path, factory);
      stored = FACTORY_RECORD;
    }
    const booted = bootStep(stored);
    writeJsonAtomically(this.#record, booted);
    this.#boot = booted;
    this.running = slots[booted.slot];
    this.inactive = slots[otherSlot(booted.slot)];
    this.#check = options.checkImage;
  }

  boot(): BootState {
    return this.#boot;
  }

  activate(size: number, trialLimit: number): void {
    const problem = this.#check?.((offset, into) => this.inactive.read(offset, into), size);
    if (problem) throw new UpdateStorageError("image", problem);
    writeJsonAtomically(this.#record, trialRecord(this.#boot.slot, trialLimit));
  }

  confirm(): void {
    const confirmed = confirmedRecord(readJson<BootRecord>(this.#record), this.#boot.slot);
    if (confirmed) writeJsonAtomically(this.#record, confirmed);
  }
}

/** voice.json holds the active area and its pack as ActiveVoiceArea, replaced through a rename. */
function fileVoiceAreas(dir: string, capacity: number): AlternatingVoiceAreas {
  const record = join(dir, "voice.json");
  const areas = [new FileArea(join(dir, "voice0.bin"), capacity), new FileArea(join(dir, "voice1.bin"), capacity)] as const;
  return new AlternatingVoiceAreas(areas, {
    load: () => readJson<ActiveVoiceArea>(record),
    save: (active) => writeJsonAtomically(record, active),
    clear: () => rmSync(record, { force: true }),
  }, (index) => {
    // The file as it is now: nothing writes the active area, so this reads as a mapping would.
    const area = areas[index];
    const bytes = new Uint8Array(Math.min(area.capacity, existsSync(area.path) ? statSync(area.path).size : 0));
    area.read(0, bytes);
    return new BytesClipArea(bytes);
  });
}

export class FileUpdateStorage implements UpdateStorage {
  readonly firmware: FileFirmwareSlots;
  readonly voice: AlternatingVoiceAreas;

  /** Boots: counts a trial boot or rolls back, as the device's boot path would. */
  constructor(readonly dir: string, options: FileUpdateOptions = {}) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.firmware = new FileFirmwareSlots(dir, options);
    this.voice = fileVoiceAreas(dir, options.voiceBytes ?? DEFAULT_VOICE_BYTES);
  }
}
