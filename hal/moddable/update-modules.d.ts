/**
 * "embedded:update" and "embedded:storage/flash" as Moddable SDK 8.2.3 implements them for ESP32
 * (modules/io/update/esp32, modules/io/flash/esp32; typings/embedded/update.d.ts and
 * typings/embedded/storage/flash.d.ts in the SDK), for `tsc -p tsconfig.device.json`:
 * @moddable/typings 5.6.0 declares neither.
 *
 * Deliberately not referenced from any module, like crypt-digest.d.ts: under mcconfig the SDK's
 * own typings declare these modules and a second declaration would collide. Keep them in step.
 *
 * What the ESP32 implementation does, read from its source, and what update.ts relies on:
 * - Flash.open({path}) opens "running" (the app partition running now), "nextota" (the next OTA
 *   app partition, esp_ota_get_next_update_partition) or a data partition by its label. Writes
 *   go straight to the partition (esp_partition_write): the caller erases blocks first.
 * - Update.open({partition, mode: "a"}) begins an OTA write with sequential erase (no erase at
 *   open); each write erases the sectors it enters. complete() ends it, which verifies the whole
 *   partition as an app image (esp_ota_end), then makes it the boot partition
 *   (esp_ota_set_boot_partition). close() abandons an unfinished update.
 */
declare module "embedded:storage/flash" {
  type Bytes = ArrayBuffer | ArrayBufferView;

  export interface FlashOpenOptions {
    path: string;
    mode?: "r" | "r+";
  }

  export interface FlashStatus {
    size: number;
    blockLength: number;
    blocks: number;
  }

  export interface Flash {
    close(): void;
    /** Erases blocks `start` up to, not including, `end` (default start + 1). */
    eraseBlock(start: number, end?: number): void;
    /** Fills `buffer` from `byteOffset`; returns the bytes read. */
    read(buffer: Bytes, byteOffset: number): number;
    read(byteLength: number, byteOffset: number): ArrayBuffer;
    write(buffer: Bytes, byteOffset: number): void;
    status(): FlashStatus;
  }

  const FlashStorage: {
    open(options: FlashOpenOptions): Flash;
    [Symbol.iterator](): IterableIterator<string>;
  };
  export default FlashStorage;
}

declare module "embedded:update" {
  import type { Flash } from "embedded:storage/flash";

  export interface UpdateOpenOptions {
    partition: Flash;
    /** "a": sequential writes, erased as they go (the default); "w": writes at offsets, erased at open. */
    mode?: "a" | "w";
    byteLength?: number;
  }

  export interface Updater {
    write(bytes: ArrayBuffer | ArrayBufferView, byteOffset?: number): void;
    /** Verifies the image and makes its partition the one that boots next. Throws when it is not a valid app. */
    complete(): void;
    close(): void;
  }

  const Update: {
    open(options: UpdateOpenOptions): Updater;
  };
  export default Update;
}
