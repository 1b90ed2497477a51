/**
 * A byte pipe to a peripheral controller (the PN532), in the spirit of embedded-hal's I2C, SPI and
 * serial traits: a handful of methods, no framing, no timing. The controller's protocol (status
 * bytes, SPI prefixes, wake-up preambles, frames) is the driver's business; this moves bytes.
 *
 *   i2c   `write` is one write transaction to the device address; `read` is one read transaction
 *         of exactly `into.length` bytes. A device that does not acknowledge its address (busy,
 *         asleep, absent) makes `read` return 0 and `write` throw.
 *   spi   `write` is one chip-select period clocking `data` out; `writeRead` is one chip-select
 *         period that clocks `command` out then `into.length` bytes in. Bytes are given in the
 *         order the controller means them: a transport for an LSB-first device (the PN532) turns
 *         the bits around itself.
 *   uart  `write` queues bytes for transmission; `read` returns what has arrived, up to
 *         `into.length`, possibly 0.
 */
export type TransportFlavour = "i2c" | "spi" | "uart";

export interface ByteTransport {
  readonly flavour: TransportFlavour;
  write(data: Uint8Array): void;
  /** Reads without blocking; returns how many bytes were placed in `into`. */
  read(into: Uint8Array): number;
  /**
   * One transaction: `command` out, then `into.length` bytes in, without releasing the bus in
   * between (SPI chip select stays asserted). Required of SPI transports; returns the count read.
   */
  writeRead?(command: Uint8Array, into: Uint8Array): number;
  /**
   * Pulses the controller's reset line, when one is wired. The controller needs its start-up
   * time afterwards (the driver waits on its own timers); absent, recovery uses the protocol only.
   */
  reset?(): void;
  /** Set by the driver; the transport calls it when bytes may be readable (UART data, IRQ line). */
  onReadable: (() => void) | undefined;
  close(): void;
}
