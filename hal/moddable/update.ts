/**
 * Update storage on ESP32, on the Moddable SDK's "embedded:storage/flash" and "embedded:update"
 * (SDK 8.2.3; declarations in update-modules.d.ts). The older "ota" module
 * (build/devices/esp32/modules/ota) writes only in one sequential pass and cannot read back or
 * resume, so it is not used.
 * Needs: "embedded:update", "embedded:storage/flash" ($(MODDABLE)/modules/io/update/manifest.json,
 * esp32 only), "flash" ($(MODDABLE)/modules/files/flash/manifest.json) to map a voice-pack
 * partition for playback, and a partition table with otadata, ota_0 and ota_1, plus data
 * partitions voice0 and voice1 for voice packs (hal/moddable/partitions.csv).
 *
 * How the HAL contract maps onto what the SDK offers:
 * - The inactive slot is the partition "nextota". Downloads write it through Flash, erasing each
 *   4 KB sector as they enter it, so a download can stop at any sector and continue after a
 *   restart. (Update.open would begin a new OTA write, which starts again at byte 0.)
 * - Making a slot boot next uses embedded:update, whose complete() verifies the image
 *   (esp_ota_end) and sets the boot partition. It needs at least one write, so the slot's first
 *   sector is read and written back through it ("sealing"), then completed.
 * - The SDK exposes no way to mark an image valid (ESP-IDF's esp_ota_mark_app_valid_cancel_rollback),
 *   so ESP-IDF's boot-loader rollback must stay off (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=n) and
 *   the trial is kept here, in NVS domain "ota": which logical slot is confirmed, whether the
 *   running image is on trial, its boots and limit, and the SHA-256 of its first sector, which
 *   tells the trial image from the previous one (labels of app partitions are not readable).
 * - A trial image that used up its boots is rolled back by sealing the previous image in "nextota"
 *   and restarting at once (`restartRequired`), before the firmware starts.
 * - A voice pack is played from its partition in place: the `flash` module's map() (ESP-IDF
 *   esp_partition_mmap) gives a read-only host buffer over the partition, which pins/audioout
 *   takes as it is (embedded:storage/flash has no map). Each area is mapped once and the mapping
 *   kept, so audio still queued from an area stays readable after a switch; ESP-IDF flushes the
 *   cache of a mapped range it writes or erases, so the mapping reads what a later download put
 *   there.
 * Limits: an image that crashes before JavaScript runs is not counted, and rolling back rewrites
 * the previous image's first sector: a power cut in those few milliseconds leaves it unbootable.
 */
import Flash, { type Flash as FlashPartition } from "embedded:storage/flash";
import Update from "embedded:update";
import MappableFlash from "flash";
import type { ClipArea } from "../audio";
import type { Crypto } from "../crypto";
import type { KeyValueStore } from "../kv";
import type { Log } from "../log";
import { checkAreaOpen, checkAreaWrite, keptOnOpen, otherSlot, UpdateStorageError, type BootState, type FirmwareSlots, type ImageArea, type SlotIndex, type UpdateStorage, type VoicePackAreas } from "../update";
import { AlternatingVoiceAreas, type ActiveVoiceArea, type VoiceAreaRecord } from "../voice-areas";
import { MappedClipArea } from "./clip-area";

const DOMAIN = "ota";
/** ESP-IDF app images start with this byte (ESP_IMAGE_HEADER_MAGIC). */
const IMAGE_MAGIC = 0xe9;
const HEAD_BYTES = 4096;

interface BootRecord {
  /** The logical slot of the last confirmed image. */
  cur: SlotIndex;
  trial: boolean;
  boots: number;
  limit: number;
  /** SHA-256 (hex) of the trial image's first sector. */
  head: string;
  /** The last boot rolled back; reported once. */
  rb: boolean;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return out;
}

/** A partition written in order, each sector erased the first time a write enters it. */
class FlashArea implements ImageArea {
  readonly capacity: number;
  readonly #flash: FlashPartition;
  readonly #blockLength: number;
  #size = 0;
  #position = -1;
  /** Sectors below this are erased (or hold kept bytes) since the last open. */
  #erasedTo = 0;

  constructor(path: string) {
    try {
      this.#flash = Flash.open({ path, mode: "r+" });
    } catch (error) {
      throw new UpdateStorageError("io", `partition ${path}: ${describe(error)}`);
    }
    const status = this.#flash.status();
    this.capacity = status.size;
    this.#blockLength = status.blockLength;
  }

  open(size: number, from: number): number {
    checkAreaOpen(this.capacity, size, from);
    const kept = keptOnOpen(size, from, this.#blockLength);
    this.#size = size;
    this.#position = kept;
    this.#erasedTo = Math.ceil(kept / this.#blockLength) * this.#blockLength;
    return kept;
  }

  write(offset: number, bytes: Uint8Array): void {
    checkAreaWrite(this.capacity, this.#size, this.#position, offset, bytes.length);
    const end = offset + bytes.length;
    try {
      if (end > this.#erasedTo) {
        const first = this.#erasedTo / this.#blockLength;
        const last = Math.ceil(end / this.#blockLength);
        this.#flash.eraseBlock(first, last);
        this.#erasedTo = last * this.#blockLength;
      }
      this.#flash.write(bytes, offset);
    } catch (error) {
      throw new UpdateStorageError("io", `flash write at ${offset}: ${describe(error)}`);
    }
    this.#position = end;
  }

  read(offset: number, into: Uint8Array): void {
    try {
      this.#flash.read(into, offset);
    } catch (error) {
      throw new UpdateStorageError("io", `flash read at ${offset}: ${describe(error)}`);
    }
  }
}

/**
 * Makes the app image in "nextota" the one that boots next: embedded:update verifies it and sets
 * the boot partition, after one write, so the first sector goes through it unchanged.
 */
function sealNextSlot(): void {
  const partition = Flash.open({ path: "nextota", mode: "r+" });
  try {
    const first = new Uint8Array(HEAD_BYTES);
    partition.read(first, 0);
    if (first[0] !== IMAGE_MAGIC) throw new UpdateStorageError("image", "the slot does not start with an app image header");
    const updater = Update.open({ partition, mode: "a" });
    try {
      updater.write(first);
      updater.complete();
    } catch (error) {
      updater.close();
      throw new UpdateStorageError("image", `the platform refused the image: ${describe(error)}`);
    }
  } finally {
    partition.close();
  }
}

function sha256Head(primitives: Crypto, path: string): string {
  const partition = Flash.open({ path, mode: "r" });
  try {
    const head = new Uint8Array(HEAD_BYTES);
    partition.read(head, 0);
    return hex(primitives.sha256(head));
  } finally {
    partition.close();
  }
}

class ModdableFirmwareSlots implements FirmwareSlots {
  readonly inactive: FlashArea;
  readonly #boot: BootState;
  #record: BootRecord;
  /** The trial image used its boots and the previous one was made to boot: restart before anything runs. */
  readonly restartRequired: boolean;

  constructor(private readonly kv: KeyValueStore, private readonly primitives: Crypto, log: Log) {
    this.inactive = new FlashArea("nextota");
    let record = this.#load();
    this.#record = record;
    let slot = record.cur;
    let rolledBack = record.rb;
    let restart = false;
    if (record.trial) {
      if (sha256Head(primitives, "running") !== record.head) {
        // The boot loader did not start the trial image (it found it invalid): the previous runs.
        log.event("warn", "ota-trial-not-booted");
        record = { ...record, trial: false, boots: 0, limit: 0, head: "", rb: false };
        rolledBack = true;
      } else if (record.boots >= record.limit) {
        log.event("warn", "ota-rollback", { boots: record.boots });
        slot = otherSlot(record.cur);
        try {
          sealNextSlot();
          record = { ...record, trial: false, boots: 0, limit: 0, head: "", rb: true };
          restart = true;
        } catch (error) {
          // Nothing to go back to: keep running what is here.
          log.event("error", "ota-rollback-failed", { detail: describe(error) });
          record = { ...record, cur: slot, trial: false, boots: 0, limit: 0, head: "", rb: false };
        }
      } else {
        record = { ...record, boots: record.boots + 1 };
        slot = otherSlot(record.cur);
      }
    } else if (record.rb) {
      record = { ...record, rb: false };
    }
    this.#save(record);
    this.restartRequired = restart;
    this.#boot = { slot, trial: record.trial, trialBoots: record.trial ? record.boots : 0, trialLimit: record.trial ? record.limit : 0, rolledBack };
  }

  boot(): BootState {
    return this.#boot;
  }

  activate(_size: number, trialLimit: number): void {
    const head = sha256Head(this.primitives, "nextota");
    // Recorded first: a power cut before the seal leaves the previous image booting, and this
    // record then reads as "the trial image was not booted".
    this.#save({ ...this.#record, trial: true, boots: 0, limit: trialLimit, head, rb: false });
    try {
      sealNextSlot();
    } catch (error) {
      this.#save({ ...this.#record, trial: false, boots: 0, limit: 0, head: "" });
      throw error;
    }
  }

  confirm(): void {
    const record = this.#record;
    if (!record.trial || !this.#boot.trial) return;
    this.#save({ cur: this.#boot.slot, trial: false, boots: 0, limit: 0, head: "", rb: false });
  }

  #load(): BootRecord {
    const stored = this.kv.get(DOMAIN, "boot");
    const fallback: BootRecord = { cur: 0, trial: false, boots: 0, limit: 0, head: "", rb: false };
    if (typeof stored !== "string") return fallback;
    try {
      const r = JSON.parse(stored) as Partial<BootRecord>;
      return {
        cur: r.cur === 1 ? 1 : 0,
        trial: r.trial === true,
        boots: typeof r.boots === "number" ? r.boots : 0,
        limit: typeof r.limit === "number" ? r.limit : 0,
        head: typeof r.head === "string" ? r.head : "",
        rb: r.rb === true,
      };
    } catch {
      return fallback;
    }
  }

  #save(record: BootRecord): void {
    this.#record = record;
    // One NVS value, written in one step.
    this.kv.set(DOMAIN, "boot", JSON.stringify(record));
  }
}

/**
 * The active voice area as one NVS string, {language, version, size, area}: the format devices in
 * the field already hold.
 */
function voiceRecordIn(kv: KeyValueStore): VoiceAreaRecord {
  return {
    load(): ActiveVoiceArea | undefined {
      const stored = kv.get(DOMAIN, "voice");
      if (typeof stored !== "string") return undefined;
      try {
        const r = JSON.parse(stored) as { area?: unknown; language?: unknown; version?: unknown; size?: unknown };
        if ((r.area !== 0 && r.area !== 1) || typeof r.language !== "string" || typeof r.version !== "string" || typeof r.size !== "number") return undefined;
        return { area: r.area, pack: { language: r.language, version: r.version, size: r.size } };
      } catch {
        return undefined;
      }
    },
    save(active: ActiveVoiceArea): void {
      kv.set(DOMAIN, "voice", JSON.stringify({ ...active.pack, area: active.area }));
    },
    clear(): void {
      kv.delete(DOMAIN, "voice");
    },
  };
}

/** Maps each labelled partition the first time it is asked for, and keeps the mapping (see the header). */
function partitionMapper(labels: readonly [string, string]): (area: SlotIndex) => ClipArea {
  const mapped: [MappedClipArea | undefined, MappedClipArea | undefined] = [undefined, undefined];
  return (area) => {
    let clips = mapped[area];
    if (!clips) {
      try {
        const partition = new MappableFlash(labels[area]);
        clips = new MappedClipArea(partition.map(), partition.byteLength);
      } catch (error) {
        throw new UpdateStorageError("io", `partition ${labels[area]} cannot be mapped: ${describe(error)}`);
      }
      mapped[area] = clips;
    }
    return clips;
  };
}

export interface ModdableUpdateOptions {
  kv: KeyValueStore;
  primitives: Crypto;
  log: Log;
  /** Labels of the two voice-pack data partitions; without them the device takes no voice packs. */
  voicePartitions?: [string, string];
}

/** Constructing it is the boot path's step; check `restartRequired` before starting the firmware. */
export class ModdableUpdateStorage implements UpdateStorage {
  readonly firmware: ModdableFirmwareSlots;
  readonly voice: VoicePackAreas | undefined;

  constructor(options: ModdableUpdateOptions) {
    this.firmware = new ModdableFirmwareSlots(options.kv, options.primitives, options.log);
    let voice: VoicePackAreas | undefined;
    if (options.voicePartitions) {
      try {
        const [first, second] = options.voicePartitions;
        voice = new AlternatingVoiceAreas([new FlashArea(first), new FlashArea(second)], voiceRecordIn(options.kv), partitionMapper(options.voicePartitions));
      } catch (error) {
        options.log.event("warn", "voice-partitions-missing", { detail: describe(error) });
      }
    }
    this.voice = voice;
  }

  get restartRequired(): boolean {
    return this.firmware.restartRequired;
  }
}
