/**
 * ByteTransports wired to the simulated PN532, one per bus, behaving as the real buses do for
 * the driver: an I2C PN532 that does not acknowledge makes `write` throw and `read` return 0;
 * SPI transfers carry the PN532's prefix bytes; UART is a stream. The IRQ line (I2C, SPI) or
 * arriving bytes (UART) call `onReadable`, unless the test says the IRQ is not wired.
 */
import type { ByteTransport, TransportFlavour } from "../../hal/byte-transport";
import type { Pn532Simulator } from "./pn532-sim";

export interface SimTransportOptions {
  /** The IRQ line is wired (I2C, SPI); without it the driver must poll. */
  irq?: boolean;
}

abstract class SimTransport implements ByteTransport {
  abstract readonly flavour: TransportFlavour;
  onReadable: (() => void) | undefined;
  closed = false;
  /** Bytes written by the driver, in order, for tests that inspect the wire. */
  readonly written: Uint8Array[] = [];

  constructor(
    protected readonly chip: Pn532Simulator,
    options: SimTransportOptions = {},
  ) {
    if (options.irq !== false) chip.onOutput = () => this.onReadable?.();
  }

  abstract write(data: Uint8Array): void;
  abstract read(into: Uint8Array): number;

  reset(): void {
    this.chip.reset();
  }

  close(): void {
    this.closed = true;
    this.onReadable = undefined;
    this.chip.onOutput = undefined;
  }

  protected open(): void {
    if (this.closed) throw new Error("transport closed");
  }
}

export class SimI2cTransport extends SimTransport {
  readonly flavour = "i2c" as const;

  write(data: Uint8Array): void {
    this.open();
    this.written.push(data.slice());
    if (!this.chip.hostWrite(data)) throw new Error("i2c: address 0x24 not acknowledged");
  }

  read(into: Uint8Array): number {
    this.open();
    if (into.length === 0 || !this.chip.busRead()) return 0;
    into[0] = this.chip.status();
    if (into.length > 1 && into[0] & 1) this.chip.takeFrame(into.subarray(1));
    else into.fill(0, 1);
    return into.length;
  }
}

export class SimSpiTransport extends SimTransport {
  readonly flavour = "spi" as const;

  write(data: Uint8Array): void {
    this.open();
    this.written.push(data.slice());
    // 0x01: data write. Anything else is not a write the PN532 understands; it ignores it.
    if (data.length > 0 && data[0] === 0x01) this.chip.hostWrite(data.subarray(1));
  }

  read(): number {
    throw new Error("spi: reads go through writeRead (prefix and data under one chip select)");
  }

  writeRead(command: Uint8Array, into: Uint8Array): number {
    this.open();
    // Chip select alone wakes a PN532 in power-down; it has nothing to say yet.
    this.chip.busRead();
    if (command.length === 1 && command[0] === 0x02) {
      into.fill(0);
      if (into.length > 0) into[0] = this.chip.status();
      return into.length;
    }
    if (command.length === 1 && command[0] === 0x03) {
      this.chip.takeFrame(into);
      return into.length;
    }
    into.fill(0);
    return into.length;
  }
}

export class SimUartTransport extends SimTransport {
  readonly flavour = "uart" as const;

  write(data: Uint8Array): void {
    this.open();
    this.written.push(data.slice());
    this.chip.hostWrite(data);
  }

  read(into: Uint8Array): number {
    this.open();
    return this.chip.takeStream(into);
  }
}

export function simTransport(chip: Pn532Simulator, options: SimTransportOptions = {}): SimTransport {
  if (chip.hostInterface === "i2c") return new SimI2cTransport(chip, options);
  if (chip.hostInterface === "spi") return new SimSpiTransport(chip, options);
  return new SimUartTransport(chip, options);
}
