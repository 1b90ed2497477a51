/** "embedded:io/analog" for the desktop simulator: reads full scale. Mapped on lin/mac only. */
export default class Analog {
  readonly resolution: number;

  constructor(options: { pin: number; resolution?: number }) {
    this.resolution = options.resolution ?? 12;
  }

  read(): number {
    return (1 << this.resolution) - 1;
  }

  close(): void {}
}
