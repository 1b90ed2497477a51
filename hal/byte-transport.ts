/**
 * A byte pipe to a peripheral controller (the PN532), in the spirit of embedded-hal's serial and
 * I2C traits. I2C and SPI transports turn `read` into a bus read of exactly `into.length` bytes;
 * a UART transport returns what has arrived.
 */
export type TransportFlavour = "i2c" | "spi" | "uart";

export interface ByteTransport {
  readonly flavour: TransportFlavour;
  write(data: Uint8Array): void;
  /** Reads without blocking; returns how many bytes were placed in `into`. */
  read(into: Uint8Array): number;
  /** Set by the driver; the transport calls it when bytes may be readable (UART data, IRQ line). */
  onReadable: (() => void) | undefined;
  close(): void;
}
