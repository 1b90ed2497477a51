/**
 * A PN532 as the host sees it over its bus, for the simulator and tests: it takes the bytes the
 * driver writes, parses host frames, ACKs them, runs the command against what is in its field,
 * and has its answer frame ready when a real one would be (timing from HAL timers). Written from
 * UM0701-02, independently of firmware/nfc, so the driver is checked against a second reading of
 * the manual rather than against itself. Neutral code: runs on XS as well as Node.
 *
 * Host interfaces, as the chip has them:
 *   i2c   after power-up (low-VBAT mode) the first transaction to it is not acknowledged while it
 *         wakes; reads start with a status byte (0x01 ready); a read of more than the status byte
 *         takes the pending frame.
 *   spi   the first chip select after power-up only wakes it (that frame is lost); then prefixes
 *         0x01 write, 0x02 status, 0x03 read.
 *   uart  asleep until the 0x55 wake-up byte; frames are a byte stream both ways.
 */
import type { TimerHandle, Timers } from "../../hal/clock";
import { PhoneReader, SIM_STATUS, type VirtualCard } from "./tags";

export type HostInterface = "i2c" | "spi" | "uart";

export type FrameRole = "ack" | "response";

export interface Pn532Faults {
  /**
   * Sees each frame the PN532 is about to send (ACKs and responses, NACK resends included):
   * return the bytes to put on the bus instead (garbage, a wrong checksum, a cut), or
   * undefined to lose the frame.
   */
  tamper?: (frame: Uint8Array, role: FrameRole) => Uint8Array | undefined;
}

export interface Pn532SimOptions {
  timers: Timers;
  hostInterface: HostInterface;
  /** From a command's ACK to its answer, for commands that do not wait on the field. */
  processingMs?: number;
  /** One passive activation attempt with nothing in the field. */
  activationTryMs?: number;
}

type Mode = "asleep" | "ready" | "busy" | "listing" | "target-wait" | "stuck";

const TFI_HOST = 0xd4;
const TFI_PN532 = 0xd5;
const ACK = Uint8Array.of(0x00, 0x00, 0xff, 0x00, 0xff, 0x00);
const SYNTAX_ERROR = Uint8Array.of(0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00);

/** Builds a PN532 -> host information frame (normal, or extended past 255 bytes). */
export function pn532Frame(data: Uint8Array): Uint8Array {
  const length = data.length + 1;
  const extended = length > 255;
  const out: number[] = [0x00, 0x00, 0xff];
  if (extended) out.push(0xff, 0xff, length >> 8, length & 0xff, (0x100 - (((length >> 8) + length) & 0xff)) & 0xff);
  else out.push(length, (0x100 - length) & 0xff);
  let sum = TFI_PN532;
  out.push(TFI_PN532);
  for (const b of data) {
    out.push(b);
    sum += b;
  }
  out.push((0x100 - (sum & 0xff)) & 0xff, 0x00);
  return Uint8Array.from(out);
}

export interface SimCounters {
  framesIn: number;
  badFramesIn: number;
  commands: number;
  acksIn: number;
  nacksIn: number;
  wakeUps: number;
  resets: number;
}

export class Pn532Simulator {
  readonly hostInterface: HostInterface;
  readonly faults: Pn532Faults = {};
  /** Command codes received, in order (for tests and the event log). */
  readonly commandLog: number[] = [];
  readonly counters: SimCounters = { framesIn: 0, badFramesIn: 0, commands: 0, acksIn: 0, nacksIn: 0, wakeUps: 0, resets: 0 };
  /** Called when a frame becomes readable (the IRQ line falls) or UART bytes arrive. */
  onOutput: (() => void) | undefined;

  readonly #timers: Timers;
  readonly #processingMs: number;
  readonly #activationTryMs: number;
  #mode: Mode = "asleep";
  #queue: Uint8Array[] = [];
  #uartOut: number[] = [];
  #uartIn: number[] = [];
  #pending = new Set<TimerHandle>();
  #lastResponse: Uint8Array | undefined;
  #field: VirtualCard | PhoneReader | undefined;
  #active: VirtualCard | undefined;
  #passiveRetries = 0xff;
  #stickNext = false;
  /** Card emulation session with a phone. */
  #session: { phone: PhoneReader; command: Uint8Array | undefined; finished: boolean } | undefined;
  #waitingGet = false;

  constructor(options: Pn532SimOptions) {
    this.#timers = options.timers;
    this.hostInterface = options.hostInterface;
    this.#processingMs = options.processingMs ?? 2;
    this.#activationTryMs = options.activationTryMs ?? 8;
  }

  get mode(): string {
    return this.#mode;
  }

  get inField(): VirtualCard | PhoneReader | undefined {
    return this.#field;
  }

  // --- the field -----------------------------------------------------------------------------

  place(thing: VirtualCard | PhoneReader): void {
    this.remove();
    this.#field = thing;
    if (this.#mode === "listing" && thing.role === "card") this.#later(() => this.#answerList(), this.#activationTryMs);
    if (this.#mode === "target-wait" && thing.role === "phone" && !thing.done) this.#later(() => this.#activate(thing), 10);
  }

  remove(): void {
    const thing = this.#field;
    this.#field = undefined;
    if (!thing) return;
    if (thing.role === "card") {
      // The PN532 does not know yet: its next exchange with the card goes unanswered.
      thing.halt();
    } else {
      thing.done = false;
      if (this.#session && this.#session.phone === thing) {
        this.#session.finished = true;
        this.#session.command = undefined;
        if (this.#waitingGet) this.#later(() => this.#answerGet(), 50);
      }
    }
  }

  // --- faults ----------------------------------------------------------------------------------

  /** The next command is ACKed and then never answered, until the host aborts it with an ACK. */
  stick(): void {
    this.#stickNext = true;
  }

  /** Power-down: the next host access only wakes it (as after power-up). */
  sleep(): void {
    this.#cancelAll();
    this.#mode = "asleep";
  }

  /** The RSTPDN line pulsed: everything forgotten, asleep in low-VBAT mode. */
  reset(): void {
    this.counters.resets++;
    this.#cancelAll();
    this.#queue = [];
    this.#uartOut = [];
    this.#uartIn = [];
    this.#lastResponse = undefined;
    this.#active?.halt();
    this.#active = undefined;
    this.#session = undefined;
    this.#waitingGet = false;
    this.#stickNext = false;
    this.#passiveRetries = 0xff;
    this.#mode = "asleep";
  }

  // --- the host bus ----------------------------------------------------------------------------

  /**
   * Bytes from the host: one I2C write transaction, one SPI data write (prefix removed), or a
   * chunk of the UART stream. Returns false when an I2C PN532 did not acknowledge (asleep).
   */
  hostWrite(bytes: Uint8Array): boolean {
    if (this.hostInterface === "uart") {
      for (const b of bytes) {
        if (this.#mode === "asleep") {
          if (b === 0x55) this.#wake();
          continue;
        }
        this.#uartIn.push(b);
      }
      this.#parseStream();
      return true;
    }
    if (this.#mode === "asleep") {
      this.#wake();
      return this.hostInterface === "spi";
    }
    this.#uartIn = Array.from(bytes);
    this.#parseStream();
    this.#uartIn = [];
    return true;
  }

  /** An I2C read addressed to a sleeping PN532 wakes it; it does not acknowledge that read. */
  busRead(): boolean {
    if (this.#mode !== "asleep") return true;
    this.#wake();
    return false;
  }

  /** I2C and SPI: the status byte (bit 0: a frame is ready). */
  status(): number {
    return this.#mode !== "asleep" && this.#queue.length > 0 ? 0x01 : 0x00;
  }

  /** I2C and SPI: takes the pending frame into `into` (zero-padded); false if none was ready. */
  takeFrame(into: Uint8Array): boolean {
    into.fill(0);
    const frame = this.#queue.shift();
    if (!frame) return false;
    into.set(frame.subarray(0, into.length));
    return true;
  }

  /** UART: bytes sent so far and not yet taken. */
  takeStream(into: Uint8Array): number {
    const count = Math.min(into.length, this.#uartOut.length);
    for (let i = 0; i < count; i++) into[i] = this.#uartOut[i];
    this.#uartOut.splice(0, count);
    return count;
  }

  #wake(): void {
    this.counters.wakeUps++;
    this.#mode = "ready";
  }

  // --- host frames -----------------------------------------------------------------------------

  #parseStream(): void {
    const b = this.#uartIn;
    for (;;) {
      let p = -1;
      for (let i = 0; i + 1 < b.length; i++)
        if (b[i] === 0x00 && b[i + 1] === 0xff) {
          p = i;
          break;
        }
      if (p < 0) {
        this.#uartIn = b.length > 0 && b[b.length - 1] === 0x00 ? [0x00] : [];
        return;
      }
      if (b.length - p < 5) {
        this.#uartIn = b.slice(p);
        return;
      }
      const len = b[p + 2];
      const lcs = b[p + 3];
      if (len === 0x00 && lcs === 0xff) {
        b.splice(0, p + 5);
        this.#hostAck();
        continue;
      }
      if (len === 0xff && lcs === 0x00) {
        b.splice(0, p + 5);
        this.#hostNack();
        continue;
      }
      let length: number;
      let tfiAt: number;
      if (len === 0xff && lcs === 0xff) {
        if (b.length - p < 8) {
          this.#uartIn = b.slice(p);
          return;
        }
        length = (b[p + 4] << 8) | b[p + 5];
        if (((b[p + 4] + b[p + 5] + b[p + 6]) & 0xff) !== 0) {
          this.counters.badFramesIn++;
          b.splice(0, p + 2);
          continue;
        }
        tfiAt = p + 7;
      } else {
        if (((len + lcs) & 0xff) !== 0) {
          this.counters.badFramesIn++;
          b.splice(0, p + 2);
          continue;
        }
        length = len;
        tfiAt = p + 4;
      }
      if (tfiAt + length + 2 > b.length) {
        this.#uartIn = b.slice(p);
        return;
      }
      let sum = 0;
      for (let i = tfiAt; i <= tfiAt + length; i++) sum += b[i];
      const frame = b.slice(tfiAt, tfiAt + length);
      b.splice(0, tfiAt + length + 2);
      // A wrong checksum or direction: the PN532 ignores the frame (no ACK); the host resends.
      if ((sum & 0xff) !== 0 || frame[0] !== TFI_HOST || length < 2) {
        this.counters.badFramesIn++;
        continue;
      }
      this.counters.framesIn++;
      this.#command(frame[1], Uint8Array.from(frame.slice(2)));
    }
  }

  /** The host aborts whatever runs (UM0701-02 section 6.2.1.3). */
  #hostAck(): void {
    this.counters.acksIn++;
    this.#cancelAll();
    this.#queue = [];
    this.#waitingGet = false;
    if (this.#mode !== "asleep") this.#mode = "ready";
  }

  /** The host asks for the last answer again. */
  #hostNack(): void {
    this.counters.nacksIn++;
    if (this.#lastResponse) this.#send(this.#lastResponse, "response");
  }

  #command(code: number, params: Uint8Array): void {
    this.counters.commands++;
    this.commandLog.push(code);
    // A new command replaces one still running, as the host meant it to.
    this.#cancelAll();
    this.#queue = [];
    this.#waitingGet = false;
    this.#send(ACK, "ack");
    if (this.#stickNext) {
      this.#stickNext = false;
      this.#mode = "stuck";
      return;
    }
    this.#mode = "busy";
    switch (code) {
      case 0x02:
        return this.#answer([0x03, 0x32, 0x01, 0x06, 0x07]);
      case 0x14:
        if (params.length < 1 || params[0] < 1 || params[0] > 4) return this.#syntaxError();
        return this.#answer([0x15]);
      case 0x32:
        if (params.length < 1) return this.#syntaxError();
        if (params[0] === 0x05 && params.length >= 4) this.#passiveRetries = params[3];
        return this.#answer([0x33]);
      case 0x4a:
        return this.#list(params);
      case 0x40:
        return this.#dataExchange(params);
      case 0x52:
        this.#active?.halt();
        this.#active = undefined;
        return this.#answer([0x53, 0x00]);
      case 0x8c:
        return this.#initAsTarget(params);
      case 0x86:
        this.#waitingGet = true;
        return this.#later(() => this.#answerGet(), this.#processingMs);
      case 0x8e:
        return this.#setData(params);
      default:
        return this.#syntaxError();
    }
  }

  #answer(data: number[] | Uint8Array, delay = this.#processingMs): void {
    const frame = pn532Frame(Uint8Array.from(data));
    this.#later(() => {
      this.#mode = "ready";
      this.#lastResponse = frame;
      this.#send(frame, "response");
    }, delay);
  }

  #syntaxError(): void {
    this.#later(() => {
      this.#mode = "ready";
      this.#lastResponse = SYNTAX_ERROR;
      this.#send(SYNTAX_ERROR, "response");
    }, this.#processingMs);
  }

  #send(frame: Uint8Array, role: FrameRole): void {
    const bytes = this.faults.tamper ? this.faults.tamper(frame, role) : frame;
    if (!bytes) return;
    if (this.hostInterface === "uart") for (const b of bytes) this.#uartOut.push(b);
    else this.#queue.push(bytes);
    this.onOutput?.();
  }

  #later(step: () => void, ms: number): void {
    const handle = this.#timers.once(() => {
      this.#pending.delete(handle);
      step();
    }, ms);
    this.#pending.add(handle);
  }

  #cancelAll(): void {
    for (const handle of this.#pending) this.#timers.clear(handle);
    this.#pending.clear();
  }

  // --- reader mode -----------------------------------------------------------------------------

  #list(params: Uint8Array): void {
    if (params.length < 2 || params[0] < 1 || params[0] > 2) return this.#syntaxError();
    if (params[1] !== 0x00) return this.#answer([0x4b, 0x00], this.#activationTryMs);
    const card = this.#field?.role === "card" ? this.#field : undefined;
    if (card) return this.#later(() => this.#answerList(), this.#activationTryMs);
    if (this.#passiveRetries === 0xff) {
      this.#mode = "listing";
      return;
    }
    this.#answer([0x4b, 0x00], (this.#passiveRetries + 1) * this.#activationTryMs);
  }

  #answerList(): void {
    const card = this.#field?.role === "card" ? this.#field : undefined;
    if (!card) {
      this.#answer([0x4b, 0x00], 0);
      return;
    }
    this.#active = card;
    const data = [0x4b, 0x01, 0x01, card.atqa >> 8, card.atqa & 0xff, card.sak, card.uid.length, ...card.uid, ...(card.ats ?? [])];
    this.#answer(data, 0);
  }

  #dataExchange(params: Uint8Array): void {
    if (params.length < 1) return this.#syntaxError();
    const card = this.#active;
    if (!card || (params[0] & 0x3f) !== 1) return this.#answer([0x41, 0x27]);
    if (this.#field !== card) {
      // Taken away while selected: the PN532 waits for an answer that does not come.
      this.#active = undefined;
      return this.#answer([0x41, SIM_STATUS.TIMEOUT], 50);
    }
    const result = card.exchange(params.subarray(1));
    this.#answer([0x41, result.status, ...result.data], this.#processingMs + Math.ceil(result.data.length / 32));
  }

  // --- target mode (card emulation) ----------------------------------------------------------

  #initAsTarget(params: Uint8Array): void {
    if (params.length < 37) return this.#syntaxError();
    this.#mode = "target-wait";
    this.#session = undefined;
    const phone = this.#field?.role === "phone" ? this.#field : undefined;
    if (phone && !phone.done) this.#later(() => this.#activate(phone), 10);
  }

  #activate(phone: PhoneReader): void {
    if (this.#mode !== "target-wait" || this.#field !== phone) return;
    this.#session = { phone, command: phone.begin(), finished: false };
    // Mode byte: 106 kbps, ISO/IEC 14443-4 PICC; the initiator's first command was RATS.
    this.#answer([0x8d, 0x04, 0xe0, 0x80], 0);
  }

  #answerGet(): void {
    if (!this.#waitingGet) return;
    this.#waitingGet = false;
    const session = this.#session;
    if (!session) return this.#answer([0x87, 0x25], 0);
    if (session.finished || !session.command) {
      this.#session = undefined;
      return this.#answer([0x87, this.#field === session.phone ? SIM_STATUS.RELEASED : SIM_STATUS.TIMEOUT], 0);
    }
    const command = session.command;
    session.command = undefined;
    this.#answer([0x87, 0x00, ...command], 0);
  }

  #setData(params: Uint8Array): void {
    const session = this.#session;
    if (!session || session.finished) return this.#answer([0x8f, SIM_STATUS.RELEASED]);
    const next = session.phone.answer(params);
    if (next) session.command = next;
    else session.finished = true;
    this.#answer([0x8f, 0x00]);
  }
}
