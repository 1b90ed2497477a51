/**
 * A ByteTransport to the PN532 NFC controller on I2C (7-bit address 0x24), with its IRQ line
 * (active low) as the readable signal when wired. The PN532 framing (status byte, ACK frames)
 * is the driver's business; this moves bytes.
 * Needs: "embedded:io/i2c", "embedded:io/digital" ($(MODULES)/io manifests).
 */
import I2C from "embedded:io/i2c";
import Digital from "embedded:io/digital";
import type { ByteTransport } from "../byte-transport";

export const PN532_I2C_ADDRESS = 0x24;

export interface NfcI2cOptions {
  data: number;
  clock: number;
  /** The PN532 runs I2C up to 400 kHz. */
  hz?: number;
  port?: number;
  address?: number;
  /** GPIO of the PN532's IRQ output, if wired. */
  irq?: number;
}

export class I2cByteTransport implements ByteTransport {
  readonly flavour = "i2c" as const;
  onReadable: (() => void) | undefined;
  #i2c: I2C | undefined;
  #irq: Digital | undefined;

  constructor(options: NfcI2cOptions) {
    const bus: ConstructorParameters<typeof I2C>[0] = {
      data: options.data,
      clock: options.clock,
      hz: options.hz ?? 400_000,
      address: options.address ?? PN532_I2C_ADDRESS,
    };
    if (options.port !== undefined) bus.port = options.port;
    this.#i2c = new I2C(bus);
    if (options.irq !== undefined) {
      this.#irq = new Digital({
        pin: options.irq,
        mode: Digital.InputPullUp,
        edge: Digital.Falling,
        onReadable: () => this.onReadable?.(),
      });
    }
  }

  write(data: Uint8Array): void {
    if (!this.#i2c) throw new Error("NFC transport closed");
    this.#i2c.write(data);
  }

  /** One bus read of `into.length` bytes; 0 when the PN532 does not answer (busy, NACK). */
  read(into: Uint8Array): number {
    if (!this.#i2c) throw new Error("NFC transport closed");
    try {
      this.#i2c.read(into);
      return into.length;
    } catch {
      return 0;
    }
  }

  close(): void {
    this.#irq?.close();
    this.#irq = undefined;
    // embedded:io/i2c has close() on every platform; the published typings omit it.
    (this.#i2c as { close?: () => void } | undefined)?.close?.();
    this.#i2c = undefined;
    this.onReadable = undefined;
  }
}
