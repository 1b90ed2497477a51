/**
 * "embedded:storage/flash" for the desktop simulator, which has no flash partitions: opening one
 * fails, so a build configured with `updates` runs without update storage. Mapped on lin/mac only.
 * On those platforms mcconfig type-checks every importer against this file instead of the SDK's
 * declaration, so it exports the names and shapes update.ts uses (update-modules.d.ts).
 */
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
  eraseBlock(start: number, end?: number): void;
  read(buffer: Bytes, byteOffset: number): number;
  read(byteLength: number, byteOffset: number): ArrayBuffer;
  write(buffer: Bytes, byteOffset: number): void;
  status(): FlashStatus;
}

export default Object.freeze({
  open(options: FlashOpenOptions): Flash {
    throw new Error(`no flash partition "${options.path}" on the simulator`);
  },
});
