/**
 * Storage for updates: two firmware slots (the running one and the inactive one an update is
 * written to, as ESP-IDF's ota_0 / ota_1 with otadata choosing between them) and, where the
 * product has one, a pair of voice-pack areas used the same way.
 *
 * The platform's boot path (ESP-IDF's bootloader and the HAL's first moments on the device, the
 * simulator's "power on") owns the trial counter: each boot of an image that was activated and not
 * yet confirmed counts one trial; once the trial limit given at activation is used up, that boot
 * goes back to the other slot instead. The firmware activates and confirms; an image that is not
 * healthy restarts, and the boot path does the rest.
 */

import type { ClipArea } from "./audio";

export type SlotIndex = 0 | 1;

/** What this boot is running. */
export interface BootState {
  readonly slot: SlotIndex;
  /** The image was activated by an update and has not confirmed it is healthy yet. */
  readonly trial: boolean;
  /** Boots of the trial image, this one included; 0 when not on trial. */
  readonly trialBoots: number;
  /** Boots the trial image may take before the boot path returns to the previous slot. */
  readonly trialLimit: number;
  /** This boot returned to this slot because the trial image on the other used up its boots. */
  readonly rolledBack: boolean;
}

/**
 * One writable area that an image is written to in order, from byte 0 to `size`. Writing may be
 * interrupted (link cut, power loss) and continued later from where the caller knows the bytes
 * are good.
 */
export interface ImageArea {
  /** Bytes the area holds. */
  readonly capacity: number;
  /**
   * Prepares to write an image of `size` bytes, continuing at byte `from` and keeping what is
   * before it as an earlier `open` for the same image left it. Returns where writing must
   * continue: `from`, or less when the platform can only keep whole erase blocks (or nothing).
   * `from === size` (the image is all there, to be read back) keeps everything.
   * Throws UpdateStorageError when `size` exceeds the capacity or the area cannot be opened.
   */
  open(size: number, from: number): number;
  /** Writes at `offset`, which must be where the previous write ended (or `open` said). */
  write(offset: number, bytes: Uint8Array): void;
  /** Fills `into` from `offset`; reads what the area holds, written or not. */
  read(offset: number, into: Uint8Array): void;
}

export interface FirmwareSlots {
  /** The state of this boot; fixed until the next one. */
  boot(): BootState;
  /** The slot that is not running, where an update is written. */
  readonly inactive: ImageArea;
  /**
   * The image written to the inactive slot boots next, on trial for up to `trialLimit` boots.
   * Throws UpdateStorageError when the platform refuses the image (ESP-IDF checks its format).
   * Takes effect at the next restart, which is the caller's to make.
   */
  activate(size: number, trialLimit: number): void;
  /** The running trial image is healthy: it stays, and its trial ends. */
  confirm(): void;
}

/** The voice pack a device speaks with, as the last activation described it. */
export interface InstalledVoicePack {
  readonly language: string;
  readonly version: string;
  readonly size: number;
}

/**
 * Voice packs in two areas: the active one the speaker reads, the inactive one a download goes
 * to. Activation swaps them in one step; there is no trial, since a pack cannot stop the device
 * from booting, and the firmware checks the whole pack before activating it. Two areas, so the
 * installed pack keeps speaking while its successor downloads.
 */
export interface VoicePackAreas {
  readonly inactive: ImageArea;
  active(): InstalledVoicePack | undefined;
  /** Reads the active pack's bytes. */
  readActive(offset: number, into: Uint8Array): void;
  /**
   * The active area as the audio output plays it, in place (on the device, the partition mapped
   * into memory, never a copy). It stays playable after a later activation, until the area is
   * written again. Throws UpdateStorageError when no pack is active or the area cannot be mapped.
   */
  activeClips(): ClipArea;
  activate(pack: InstalledVoicePack): void;
  /** The active pack is damaged: none is active from now on, so the same release can be installed again. */
  deactivate(): void;
}

export interface UpdateStorage {
  firmware: FirmwareSlots;
  voice?: VoicePackAreas;
}

export class UpdateStorageError extends Error {
  constructor(readonly code: "size" | "order" | "io" | "image", message: string) {
    super(message);
    this.name = "UpdateStorageError";
  }
}

/** The checks every ImageArea makes on a write, so platforms refuse the same things. */
export function checkAreaWrite(capacity: number, size: number, position: number, offset: number, length: number): void {
  if (position < 0) throw new UpdateStorageError("order", "write before open");
  if (offset !== position) throw new UpdateStorageError("order", `write at ${offset}, expected ${position}`);
  if (offset + length > size) throw new UpdateStorageError("size", `write of ${length} bytes at ${offset} passes the image size ${size}`);
  if (offset + length > capacity) throw new UpdateStorageError("size", `write passes the area's ${capacity} bytes`);
}

export function checkAreaOpen(capacity: number, size: number, from: number): void {
  if (!Number.isInteger(size) || size <= 0 || size > capacity)
    throw new UpdateStorageError("size", `image of ${size} bytes does not fit an area of ${capacity}`);
  if (!Number.isInteger(from) || from < 0 || from > size) throw new UpdateStorageError("order", `cannot continue at ${from} of ${size}`);
}

/**
 * Where `ImageArea.open` continues: a whole image is kept as it is (to be read back); otherwise
 * at the start of the erase block `from` falls in, since a partly written block cannot take more
 * bytes without an erase.
 */
export function keptOnOpen(size: number, from: number, eraseBlockBytes: number): number {
  return from === size ? size : from - (from % eraseBlockBytes);
}

export function otherSlot(slot: SlotIndex): SlotIndex {
  return slot === 0 ? 1 : 0;
}

/** What a boot path does with the stored boot record: count a trial boot, or return to the other slot. */
export interface BootRecord {
  slot: SlotIndex;
  trial: boolean;
  trialBoots: number;
  trialLimit: number;
  rolledBack: boolean;
}

/** The record `FirmwareSlots.activate` stores: the other slot boots next, on trial. */
export function trialRecord(running: SlotIndex, trialLimit: number): BootRecord {
  return { slot: otherSlot(running), trial: true, trialBoots: 0, trialLimit, rolledBack: false };
}

/** The record `FirmwareSlots.confirm` stores, or undefined when the running image is not on trial. */
export function confirmedRecord(stored: BootRecord | undefined, running: SlotIndex): BootRecord | undefined {
  if (!stored?.trial || stored.slot !== running) return undefined;
  return { ...stored, trial: false, trialBoots: 0, trialLimit: 0 };
}

/**
 * One boot, as ESP-IDF's bootloader does it with rollback, but with a limit of N boots: a trial
 * image that has used its boots is abandoned for the other slot. Returns the record to store
 * before anything runs.
 */
export function bootStep(stored: BootRecord): BootRecord {
  if (!stored.trial) return { ...stored, rolledBack: false };
  if (stored.trialBoots >= stored.trialLimit)
    return { slot: otherSlot(stored.slot), trial: false, trialBoots: 0, trialLimit: 0, rolledBack: true };
  return { ...stored, trialBoots: stored.trialBoots + 1, rolledBack: false };
}
