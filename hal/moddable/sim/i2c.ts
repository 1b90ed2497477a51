/**
 * "embedded:io/i2c" for the desktop simulator: no device answers, as on an empty bus.
 * Mapped on lin/mac only.
 */
export default class I2C {
  constructor(_options: { data: number; clock: number; hz: number; address: number; port?: number }) {}

  write(_data: ArrayBufferView | ArrayBuffer, _stop?: boolean): void {
    throw new Error("i2c: no acknowledgement (simulator)");
  }

  read(_into: ArrayBufferView | ArrayBuffer | number, _stop?: boolean): never {
    throw new Error("i2c: no acknowledgement (simulator)");
  }

  close(): void {}
}
