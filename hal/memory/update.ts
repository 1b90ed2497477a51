/**
 * Update storage in memory. `MemoryUpdateFlash` is the flash itself (the two slots, the boot
 * record as ESP-IDF's otadata holds it, the voice-pack areas): a test keeps it across a simulated
 * power cut and hands it to the next boot's `MemoryUpdateStorage`, whose construction is the boot
 * path's step (counting a trial boot, or returning to the other slot).
 *
 * Flash is modelled as NOR flash behaves: erasing sets whole 4096-byte sectors to 0xFF, writing
 * can only clear bits (the written byte is ANDed in), so writing twice without an erase corrupts.
 */
import { bootStep, checkAreaOpen, checkAreaWrite, confirmedRecord, keptOnOpen, otherSlot, trialRecord, UpdateStorageError, type BootRecord, type BootState, type FirmwareSlots, type ImageArea, type UpdateStorage, type VoicePackAreas } from "../update";
import { AlternatingVoiceAreas, type ActiveVoiceArea } from "../voice-areas";
import { BytesClipArea } from "./clip-area";

export const SECTOR_BYTES = 4096;

export interface MemoryUpdateFlashOptions {
  slotBytes: number;
  /** Bytes of each voice-pack area; none when omitted. */
  voiceBytes?: number;
  /** What slot 0 holds at the factory. */
  factoryImage?: Uint8Array;
}

export class MemoryUpdateFlash {
  readonly slots: [Uint8Array, Uint8Array];
  readonly voiceAreas: [Uint8Array, Uint8Array] | undefined;
  record: BootRecord = { slot: 0, trial: false, trialBoots: 0, trialLimit: 0, rolledBack: false };
  activeVoice: ActiveVoiceArea | undefined;
  /** Writes (area writes and erases) allowed before the power "fails": every later one throws. */
  writesBeforePowerCut: number | undefined;
  /** Makes `activate` refuse, as ESP-IDF does for an image that is not a valid app. */
  refuseActivation = false;
  /** Area bytes written, for tests that look at wear. */
  bytesWritten = 0;

  constructor(options: MemoryUpdateFlashOptions) {
    this.slots = [new Uint8Array(options.slotBytes).fill(0xff), new Uint8Array(options.slotBytes).fill(0xff)];
    if (options.factoryImage) this.slots[0].set(options.factoryImage);
    this.voiceAreas = options.voiceBytes ? [new Uint8Array(options.voiceBytes).fill(0xff), new Uint8Array(options.voiceBytes).fill(0xff)] : undefined;
  }

  /** Spends one write of the budget; throws once the power is "cut". */
  spend(): void {
    if (this.writesBeforePowerCut === undefined) return;
    if (this.writesBeforePowerCut <= 0) throw new UpdateStorageError("io", "flash write failed: power cut");
    this.writesBeforePowerCut--;
  }
}

class MemoryArea implements ImageArea {
  #size = 0;
  #position = -1;

  constructor(private readonly flash: MemoryUpdateFlash, private readonly bytes: () => Uint8Array) {}

  get capacity(): number {
    return this.bytes().length;
  }

  open(size: number, from: number): number {
    checkAreaOpen(this.capacity, size, from);
    const kept = keptOnOpen(size, from, SECTOR_BYTES);
    this.flash.spend();
    if (kept < size) this.bytes().fill(0xff, kept);
    this.#size = size;
    this.#position = kept;
    return kept;
  }

  write(offset: number, data: Uint8Array): void {
    checkAreaWrite(this.capacity, this.#size, this.#position, offset, data.length);
    this.flash.spend();
    const target = this.bytes();
    for (let i = 0; i < data.length; i++) target[offset + i] &= data[i];
    this.#position += data.length;
    this.flash.bytesWritten += data.length;
  }

  read(offset: number, into: Uint8Array): void {
    const source = this.bytes();
    if (offset < 0 || offset + into.length > source.length) throw new UpdateStorageError("size", `read of ${into.length} at ${offset} passes the area`);
    into.set(source.subarray(offset, offset + into.length));
  }
}

class MemoryFirmwareSlots implements FirmwareSlots {
  readonly inactive: ImageArea;
  readonly #boot: BootState;

  constructor(private readonly flash: MemoryUpdateFlash) {
    flash.record = bootStep(flash.record);
    this.#boot = { ...flash.record };
    const inactive = otherSlot(this.#boot.slot);
    this.inactive = new MemoryArea(flash, () => flash.slots[inactive]);
  }

  boot(): BootState {
    return this.#boot;
  }

  activate(_size: number, trialLimit: number): void {
    if (this.flash.refuseActivation) throw new UpdateStorageError("image", "the platform refused the image");
    this.flash.spend();
    this.flash.record = trialRecord(this.#boot.slot, trialLimit);
  }

  confirm(): void {
    const confirmed = confirmedRecord(this.flash.record, this.#boot.slot);
    if (!confirmed) return;
    this.flash.spend();
    this.flash.record = confirmed;
  }
}

/** One boot's view of the flash: constructing it is the boot. */
export class MemoryUpdateStorage implements UpdateStorage {
  readonly firmware: FirmwareSlots;
  readonly voice: VoicePackAreas | undefined;

  constructor(readonly flash: MemoryUpdateFlash) {
    this.firmware = new MemoryFirmwareSlots(flash);
    const areas = flash.voiceAreas;
    this.voice =
      areas &&
      new AlternatingVoiceAreas(
        [new MemoryArea(flash, () => areas[0]), new MemoryArea(flash, () => areas[1])],
        {
          load: () => flash.activeVoice,
          save: (active) => {
            flash.spend();
            flash.activeVoice = active;
          },
          clear: () => {
            flash.spend();
            flash.activeVoice = undefined;
          },
        },
        // The flash itself, as the device maps its partition: later writes to the area show through.
        (area) => new BytesClipArea(areas[area]),
      );
  }
}
