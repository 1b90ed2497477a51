/**
 * The `flash` module (modules/files/flash: map a partition into memory) for the desktop
 * simulator, which has no flash partitions: opening one fails, as embedded:storage/flash does
 * there (flash.ts), so no voice-pack area is ever mapped. Mapped on lin/mac only.
 */
export default class Flash {
  constructor(partition: string) {
    throw new Error(`no flash partition "${partition}" on the simulator`);
  }
}
