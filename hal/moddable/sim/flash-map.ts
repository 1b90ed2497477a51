/**
 * The `flash` module (modules/files/flash: map a partition into memory) for the desktop
 * simulator, which has no flash partitions: opening one fails, as embedded:storage/flash does
 * there (flash.ts), so no voice-pack area is ever mapped. Mapped on lin/mac only. On those
 * platforms mcconfig type-checks update.ts against this file, so it has the members update.ts uses.
 */
export default class Flash {
  readonly byteLength = 0;

  constructor(partition: string) {
    throw new Error(`no flash partition "${partition}" on the simulator`);
  }

  map(): HostBuffer {
    throw new Error("no flash partition to map on the simulator");
  }
}
