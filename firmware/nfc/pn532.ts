/**
 * The PN532 host link: one command at a time over a ByteTransport, as an explicit state machine
 * driven by the transport's `onReadable` (IRQ line, UART data) and by HAL timers. It never
 * blocks and allocates its buffers once.
 *
 *   idle --execute--> awaiting-ack --ACK--> awaiting-response --response--> idle (callback)
 *                       |  ^                   |  ^
 *                       |  +--no ACK: resend   |  +--bad checksum / cut short: NACK, PN532 resends
 *                       +--retries spent-------+--timeout: ACK (aborts the PN532), error--> idle
 *
 * Bus flavours differ only in how a frame is written and read (UM0701-02 section 6.2):
 *   i2c   every read transaction starts with a status byte, bit 0 set when a frame is ready;
 *         the driver polls that byte, then reads status + frame in one transaction.
 *   spi   each transfer starts with a prefix: 0x01 data write, 0x02 status read, 0x03 data read.
 *   uart  a byte stream: frames are gathered from whatever arrives; a PN532 asleep (power-up in
 *         low-VBAT mode, or after a fault) needs the wake-up preamble 0x55 0x55 00... first.
 */
import type { ByteTransport } from "../../hal/byte-transport";
import type { TimerHandle, Timers } from "../../hal/clock";
import { commandName } from "./commands";
import { hexByte, NfcError } from "./errors";
import { ACK_FRAME, FRAME, FrameScan, NACK_FRAME, scanFrame, writeFrame } from "./frame";

/** SPI transfer prefixes, UM0701-02 section 6.2.5. */
const SPI = Object.freeze({ DATA_WRITE: 0x01, STATUS_READ: 0x02, DATA_READ: 0x03 });
/** I2C status byte and SPI status bit 0: a frame is ready to be read. */
const READY = 0x01;

/** HSU wake-up: two 0x55 then idle bytes while the oscillator starts (UM0701-02 section 6.2.6, AN10609 low-VBAT mode). */
const UART_WAKE: Uint8Array = Uint8Array.of(0x55, 0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

/**
 * Largest TFI + data the driver accepts: InDataExchange answers D5 41 status and up to 262
 * bytes (the PN532's buffer), which only fits an extended frame.
 */
export const MAX_FRAME_DATA = 1 + 2 + 262;
const RX_CAPACITY = 1 + FRAME.EXTENDED_OVERHEAD + MAX_FRAME_DATA;
/** An ACK is 6 bytes; a read of a few more lets a frame behind some line noise through. */
const ACK_READ_BYTES = 16;
/** Room for a prefix (SPI data-write byte or the UART wake-up preamble) before the frame. */
const TX_HEAD = UART_WAKE.length;
const TX_CAPACITY = TX_HEAD + FRAME.EXTENDED_OVERHEAD + MAX_FRAME_DATA;

export const PN532_DEFAULTS = Object.freeze({
  /** The PN532 acknowledges within 1 ms of a frame; the bus and a waking controller need more. */
  ackTimeoutMs: 30,
  /** Status polling while no IRQ has said so, and as a backstop when one is wired. */
  pollMs: 5,
  /** Resends of a command that got no ACK, and NACKs for a response that arrived damaged. */
  retries: 2,
});

export interface Pn532Options {
  transport: ByteTransport;
  timers: Timers;
  ackTimeoutMs?: number;
  pollMs?: number;
  retries?: number;
}

export interface ExecuteOptions {
  /** From the ACK to the response. */
  timeoutMs: number;
  /** The most response bytes after the response code the command can bring (sizes bus reads). */
  answerBytes: number;
}

/**
 * Called once per command. `answer` is a view into the driver's receive buffer (what follows the
 * response code), valid only during the call: copy what must outlive it.
 */
export type Pn532Callback = (error: NfcError | undefined, answer: Uint8Array) => void;

export type LinkState = "idle" | "awaiting-ack" | "awaiting-response" | "closed";

export interface LinkCounters {
  commands: number;
  resends: number;
  nacks: number;
  badFrames: number;
  timeouts: number;
  aborts: number;
  busErrors: number;
}

const EMPTY = new Uint8Array(0);

export class Pn532 {
  readonly #transport: ByteTransport;
  readonly #timers: Timers;
  readonly #ackTimeoutMs: number;
  readonly #pollMs: number;
  readonly #retries: number;
  readonly #tx = new Uint8Array(TX_CAPACITY);
  readonly #rx = new Uint8Array(RX_CAPACITY);
  readonly #status = new Uint8Array(1);
  readonly #spiStatusRead = Uint8Array.of(SPI.STATUS_READ);
  readonly #spiDataRead = Uint8Array.of(SPI.DATA_READ);
  readonly #scan = new FrameScan();
  readonly counters: LinkCounters = { commands: 0, resends: 0, nacks: 0, badFrames: 0, timeouts: 0, aborts: 0, busErrors: 0 };

  #state: LinkState = "idle";
  #command = 0;
  #frameLength = 0;
  #readBytes = 0;
  #timeoutMs = 0;
  #resends = 0;
  #nacksSent = 0;
  /** UART: bytes gathered so far in #rx. */
  #rxLength = 0;
  #wake: boolean;
  #done: Pn532Callback | undefined;
  #deadline: TimerHandle | undefined;
  #poll: TimerHandle | undefined;
  #pumping = false;
  #again = false;
  /** Why the current command is not through yet, for the timeout's message. */
  #lastProblem: NfcError | undefined;

  constructor(options: Pn532Options) {
    this.#transport = options.transport;
    this.#timers = options.timers;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? PN532_DEFAULTS.ackTimeoutMs;
    this.#pollMs = options.pollMs ?? PN532_DEFAULTS.pollMs;
    this.#retries = options.retries ?? PN532_DEFAULTS.retries;
    if (this.#transport.flavour === "spi" && !this.#transport.writeRead)
      throw new NfcError("bus", "an SPI transport must offer writeRead (prefix and read under one chip select)");
    this.#wake = this.#transport.flavour === "uart";
    this.#transport.onReadable = () => this.#pump();
  }

  get state(): LinkState {
    return this.#state;
  }

  get flavour(): ByteTransport["flavour"] {
    return this.#transport.flavour;
  }

  /** The next command goes out behind the UART wake-up preamble (no effect on I2C and SPI, which wake on their own select). */
  wakeBeforeNext(): void {
    if (this.#transport.flavour === "uart") this.#wake = true;
  }

  /** Pulses the reset line if the transport has one; true if it did. */
  hardReset(): boolean {
    if (!this.#transport.reset || this.#state === "closed") return false;
    this.#transport.reset();
    this.#wake = this.#transport.flavour === "uart";
    return true;
  }

  /** Sends a command; `done` runs once with the answer or an error. One command at a time. */
  execute(command: number, params: Uint8Array, options: ExecuteOptions, done: Pn532Callback): void {
    if (this.#state === "closed") throw new NfcError("closed", "the PN532 driver is closed");
    if (this.#state !== "idle") throw new NfcError("busy", `${commandName(command)} while ${commandName(this.#command)} is in flight`);
    this.#frameLength = writeFrame(this.#tx.subarray(TX_HEAD), FRAME.HOST_TO_PN532, command, params);
    this.#command = command;
    this.#timeoutMs = options.timeoutMs;
    this.#readBytes = Math.min(RX_CAPACITY - 1, options.answerBytes + 1 + FRAME.EXTENDED_OVERHEAD);
    this.#resends = 0;
    this.#nacksSent = 0;
    this.#lastProblem = undefined;
    this.#done = done;
    this.counters.commands++;
    this.#drainStale();
    this.#sendCommand();
  }

  /**
   * Cancels the command in flight: an ACK frame tells the PN532 to drop it (UM0701-02 section
   * 6.2.1.3), which is also how a long TgInitAsTarget is ended. Its callback gets "aborted".
   */
  abort(): void {
    if (this.#state !== "awaiting-ack" && this.#state !== "awaiting-response") return;
    this.counters.aborts++;
    this.#finish(new NfcError("aborted", `${commandName(this.#command)} aborted by the host`));
  }

  close(): void {
    if (this.#state === "closed") return;
    this.#stopTimers();
    this.#state = "closed";
    this.#done = undefined;
    this.#transport.onReadable = undefined;
    this.#transport.close();
  }

  #sendCommand(): void {
    this.#enter("awaiting-ack", this.#ackTimeoutMs);
    let from = TX_HEAD;
    if (this.#wake) {
      from -= UART_WAKE.length;
      this.#tx.set(UART_WAKE, from);
      this.#wake = false;
    } else if (this.#transport.flavour === "spi") {
      from -= 1;
      this.#tx[from] = SPI.DATA_WRITE;
    }
    this.#write(this.#tx.subarray(from, TX_HEAD + this.#frameLength));
  }

  /** ACK to the PN532 (abort) or NACK (send the last response again); never fails loudly. */
  #sendControl(frame: Uint8Array): boolean {
    if (this.#transport.flavour === "spi") {
      this.#tx[0] = SPI.DATA_WRITE;
      this.#tx.set(frame, 1);
      return this.#write(this.#tx.subarray(0, 1 + frame.length));
    }
    return this.#write(frame);
  }

  #write(bytes: Uint8Array): boolean {
    try {
      this.#transport.write(bytes);
      return true;
    } catch (error) {
      // An I2C PN532 waking from power-down does not acknowledge its address at first; the ACK
      // timeout resends. Anything else persistent surfaces as that timeout, with this reason.
      this.counters.busErrors++;
      this.#lastProblem = new NfcError("bus", `write failed: ${(error as Error).message}`);
      return false;
    }
  }

  #enter(state: "awaiting-ack" | "awaiting-response", timeoutMs: number): void {
    this.#state = state;
    if (this.#deadline) this.#timers.clear(this.#deadline);
    this.#deadline = this.#timers.once(() => this.#expired(), timeoutMs);
    if (!this.#poll) this.#poll = this.#timers.repeat(() => this.#pump(), this.#pollMs);
  }

  #stopTimers(): void {
    if (this.#deadline) this.#timers.clear(this.#deadline);
    if (this.#poll) this.#timers.clear(this.#poll);
    this.#deadline = this.#poll = undefined;
  }

  #expired(): void {
    this.#deadline = undefined;
    if (this.#state === "awaiting-ack") {
      if (this.#resends < this.#retries) {
        this.#resends++;
        this.counters.resends++;
        this.#sendCommand();
        return;
      }
      this.counters.timeouts++;
      const why = this.#lastProblem ? `; last problem: ${this.#lastProblem.message}` : "";
      this.#finish(new NfcError("ack-timeout", `no ACK to ${commandName(this.#command)} after ${this.#resends + 1} attempts of ${this.#ackTimeoutMs} ms${why}`));
      return;
    }
    if (this.#state === "awaiting-response") {
      this.counters.timeouts++;
      const partial = this.#partialNote();
      const why = partial ?? (this.#lastProblem ? `; last problem: ${this.#lastProblem.message}` : "");
      const code = partial ? "frame-truncated" : "response-timeout";
      this.#finish(new NfcError(code, `no valid response to ${commandName(this.#command)} within ${this.#timeoutMs} ms${why}`));
    }
  }

  /** UART: a frame that began but never completed (LEN announced more than arrived). */
  #partialNote(): string | undefined {
    if (this.#transport.flavour !== "uart" || this.#rxLength === 0) return undefined;
    const outcome = scanFrame(this.#rx, 0, this.#rxLength, MAX_FRAME_DATA, this.#scan);
    if (outcome !== "partial") return undefined;
    return `; a frame announced ${this.#scan.need} bytes and ${this.#rxLength - this.#scan.start} arrived`;
  }

  /** Ends the command: back to idle first, so the callback may execute the next one. */
  #finish(error: NfcError | undefined, answer: Uint8Array = EMPTY): void {
    const done = this.#done;
    const aborting = error !== undefined && this.#state === "awaiting-response";
    this.#stopTimers();
    this.#state = "idle";
    this.#done = undefined;
    // A command that fails after its ACK may still be running in the PN532: stop it, so its late
    // answer cannot be taken for the next command's.
    if (aborting || error?.code === "aborted") this.#sendControl(ACK_FRAME);
    if (error && this.#transport.flavour === "uart") this.#rxLength = 0;
    done?.(error, answer);
  }

  #drainStale(): void {
    if (this.#transport.flavour !== "uart") return;
    this.#rxLength = 0;
    while (this.#transport.read(this.#rx) > 0);
  }

  #pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        if (this.#state === "awaiting-ack" || this.#state === "awaiting-response") this.#readOnce();
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
  }

  /** One look at the bus: reads what is ready and acts on any complete frame. */
  #readOnce(): void {
    const want = this.#state === "awaiting-ack" ? ACK_READ_BYTES : this.#readBytes;
    let from: number;
    let to: number;
    const t = this.#transport;
    if (t.flavour === "uart") {
      const got = t.read(this.#rx.subarray(this.#rxLength));
      if (got === 0 && this.#rxLength === 0) return;
      this.#rxLength += got;
      from = 0;
      to = this.#rxLength;
    } else if (t.flavour === "i2c") {
      if (t.read(this.#status) === 0 || (this.#status[0] & READY) === 0) return;
      const got = t.read(this.#rx.subarray(0, 1 + want));
      if (got === 0 || (this.#rx[0] & READY) === 0) return;
      from = 1;
      to = got;
    } else {
      const writeRead = t.writeRead as NonNullable<ByteTransport["writeRead"]>;
      if (writeRead.call(t, this.#spiStatusRead, this.#status) === 0 || (this.#status[0] & READY) === 0) return;
      to = writeRead.call(t, this.#spiDataRead, this.#rx.subarray(0, want));
      from = 0;
      if (to === 0) return;
    }
    this.#examine(from, to, want);
  }

  #examine(from: number, to: number, want: number): void {
    const scan = this.#scan;
    const outcome = scanFrame(this.#rx, from, to, MAX_FRAME_DATA, scan);
    const stream = this.#transport.flavour === "uart";
    if (outcome === "frame") {
      if (stream) this.#consume(scan.end);
      this.#onFrame(scan);
      if (stream && this.#rxLength > 0) this.#again = true;
      return;
    }
    if (outcome === "partial") {
      if (stream) {
        if (scan.start > 0) this.#consume(scan.start);
        return;
      }
      // A bus read cut the frame short: the PN532 sends it again on NACK; read it whole this time.
      this.#lastProblem = new NfcError("frame-truncated", `a frame announced ${scan.need} bytes, a ${want}-byte read held ${to - scan.start}`);
      if (this.#readBytes < RX_CAPACITY - 1) this.#readBytes = RX_CAPACITY - 1;
      else this.#lastProblem = new NfcError("frame-truncated", `a frame announced ${scan.need} bytes, more than the driver accepts`);
      this.#damaged();
      return;
    }
    if (stream) {
      // Nothing but garbage so far; keep a trailing 0x00, it may begin a start code.
      this.#consume(this.#rxLength > 0 && this.#rx[this.#rxLength - 1] === 0 ? this.#rxLength - 1 : this.#rxLength);
      if (scan.problem) {
        this.#lastProblem = scan.problem;
        this.counters.badFrames++;
        // A header that checked out but a body that did not is a damaged frame worth a NACK; a
        // failed length checksum is as likely line noise, and a NACK then would be answered
        // with a frame we already have.
        const damagedBody = scan.problem.code === "frame-data-checksum" || scan.problem.code === "frame-postamble";
        if (this.#state === "awaiting-response" && damagedBody) this.#damaged();
      }
      return;
    }
    this.counters.badFrames++;
    this.#lastProblem = scan.problem ?? new NfcError("frame-unexpected", `a ready read held no frame start`);
    this.#damaged();
  }

  /** A damaged frame: while waiting for the ACK, send the command again; after it, NACK. */
  #damaged(): void {
    if (this.#state === "awaiting-ack") {
      // Leave it to the ACK timeout, which resends: the PN532 may still ACK the frame it got.
      return;
    }
    if (this.#nacksSent >= this.#retries) {
      const problem = this.#lastProblem ?? new NfcError("frame-unexpected", "damaged response");
      this.#finish(new NfcError(problem.code, `${commandName(this.#command)}: ${problem.message} (after ${this.#nacksSent} NACKs)`));
      return;
    }
    this.#nacksSent++;
    this.counters.nacks++;
    this.#sendControl(NACK_FRAME);
  }

  #consume(count: number): void {
    if (count <= 0) return;
    this.#rx.copyWithin(0, count, this.#rxLength);
    this.#rxLength -= count;
  }

  #onFrame(scan: FrameScan): void {
    if (this.#state === "awaiting-ack") {
      if (scan.kind === "ack") {
        this.#enter("awaiting-response", this.#timeoutMs);
        return;
      }
      if (scan.kind === "error") {
        this.#finish(new NfcError("syntax-error", `the PN532 answered ${commandName(this.#command)} with an error frame (syntax error)`));
        return;
      }
      this.#lastProblem = new NfcError("frame-unexpected", `expected an ACK, got a${scan.kind === "nack" ? " NACK" : `n ${scan.kind} frame`}`);
      return;
    }
    if (scan.kind === "error") {
      this.#finish(new NfcError("syntax-error", `the PN532 answered ${commandName(this.#command)} with an error frame (syntax error)`));
      return;
    }
    if (scan.kind !== "information") {
      // A late or repeated ACK: the response is still to come.
      return;
    }
    const rx = this.#rx;
    if (scan.tfi !== FRAME.PN532_TO_HOST) {
      this.#lastProblem = new NfcError("frame-direction", `response TFI ${hexByte(scan.tfi)} is not ${hexByte(FRAME.PN532_TO_HOST)}`);
      return;
    }
    const code = scan.dataLength > 0 ? rx[scan.dataStart] : -1;
    if (code !== this.#command + 1) {
      // A stale answer to an earlier command; the one awaited may still come.
      this.#lastProblem = new NfcError("frame-unexpected", `response code ${code < 0 ? "missing" : hexByte(code)} does not answer ${commandName(this.#command)}`);
      return;
    }
    this.#finish(undefined, rx.subarray(scan.dataStart + 1, scan.dataStart + scan.dataLength));
  }
}
