/**
 * "embedded:update" for the desktop simulator: there is no second slot to boot. Mapped on lin/mac
 * only; like sim/flash.ts it has the shape of the SDK's module, which mcconfig checks importers against.
 */
import type { Flash } from "embedded:storage/flash";

export interface UpdateOpenOptions {
  partition: Flash;
  mode?: "a" | "w";
  byteLength?: number;
}

export interface Updater {
  write(bytes: ArrayBuffer | ArrayBufferView, byteOffset?: number): void;
  complete(): void;
  close(): void;
}

export default Object.freeze({
  open(_options: UpdateOpenOptions): Updater {
    throw new Error("no OTA update on the simulator");
  },
});
