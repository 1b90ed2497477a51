/**
 * The NFC reader of the QR display, in the style of an ECMA-419 driver: one options object,
 * callbacks for a tag arriving and leaving (`onArrive`, `onLeave`), `onError`, `sample()` for the
 * tag in the field now, `present(uri)` for card emulation, and `close()`.
 *
 *   starting --configured--> polling --tag--> reading --read--> polling
 *       ^                      |   ^                               |
 *       |                      |   +------------ window over ------+--- emulating (presenting)
 *       |                      +--- link fault (3 in a row, or no ACK) ---+
 *       +------------------------- recovering <---------------------------+
 *
 * Polling lists one ISO/IEC 14443 Type A target. A new UID is read (Type 2 by READ, Type 4 by
 * its NDEF application), reported once, released; the same UID found by later polls is the same
 * tap, and `leaveAfterMisses` polls without it mean it left. While a URI is presented, each poll
 * is followed by a window in target mode (TgInitAsTarget, ended by an ACK abort when no phone
 * comes) where the PN532 is a Type 4 tag holding that URI.
 *
 * Recovery (a stuck or confused controller, a bus glitch): abort whatever runs, pulse the reset
 * line if there is one, send the UART wake-up, configure again; with exponential back-off while
 * it fails, forever, and never a reboot.
 */
import type { ByteTransport } from "../../hal/byte-transport";
import type { TimerHandle, Timers } from "../../hal/clock";
import {
  BRTY_106A,
  COMMAND,
  parseFirmwareVersion,
  parseTargetA,
  PN532_IC,
  RF_ITEM,
  SAK_ISO14443_4,
  SAM_NORMAL,
  STATUS,
  statusCode,
  statusError,
  type FirmwareVersion,
  type TargetA,
  type4TargetParams,
} from "./commands";
import { hexByte, NfcError } from "./errors";
import { decodeNdef, encodeNdef, uriRecord, type NdefRecord } from "./ndef";
import { MAX_FRAME_DATA, Pn532, type LinkCounters } from "./pn532";
import type { TagProcedure } from "./procedure";
import { Type2Procedure } from "./type2";
import { Type4Emulator, Type4Procedure } from "./type4";

export type TagKind = "type2" | "type4" | "card";

export interface TagInfo {
  uid: Uint8Array;
  atqa: number;
  sak: number;
  ats: Uint8Array | undefined;
  kind: TagKind;
  /** The tag's NDEF message as read, when it has one and it was read whole. */
  ndef: Uint8Array | undefined;
  /** Its records, when the message decodes. */
  records: NdefRecord[] | undefined;
  /**
   * Why there are no records: "not-ndef" for a blank or foreign tag, "ndef" for a message that
   * does not decode (`ndef` still holds its bytes), else the read or format error.
   */
  ndefError: NfcError | undefined;
  /** The AID of the payment application an ISO-DEP card without NDEF named in its PPSE directory (ppse.ts). */
  aid: Uint8Array | undefined;
}

export interface PresentReport {
  uri: string;
  /** The phone read the NDEF file to its end. */
  delivered: boolean;
}

export type ReaderState = "starting" | "polling" | "reading" | "emulating" | "recovering" | "closed";

export interface NfcReaderOptions {
  transport: ByteTransport;
  timers: Timers;
  onArrive?: (tag: TagInfo) => void;
  onLeave?: (tag: TagInfo) => void;
  /** A phone activated the emulated tag and went away again. */
  onPresented?: (report: PresentReport) => void;
  onError?: (error: NfcError) => void;
  onStateChange?: (state: ReaderState) => void;
  /** Pause between polls when nothing is presented. */
  pollIntervalMs?: number;
  /** Time in target mode per cycle while a URI is presented. */
  presentWindowMs?: number;
  /** Polls without the tag before it counts as gone. */
  leaveAfterMisses?: number;
  /** Largest NDEF message read from a tag, and largest presented. */
  maxNdefBytes?: number;
  /** The 3 UID bytes the emulated tag uses after the PN532's 0x08 (random-UID) prefix. */
  nfcid1t?: Uint8Array;
  /** Host-link tuning (see pn532.ts). */
  ackTimeoutMs?: number;
  linkPollMs?: number;
  retries?: number;
  /** First and longest wait between recovery attempts. */
  recoveryMs?: { initial: number; max: number };
  /** Start-up time after a reset pulse. */
  bootMs?: number;
}

export const READER_DEFAULTS = Object.freeze({
  pollIntervalMs: 150,
  presentWindowMs: 600,
  leaveAfterMisses: 2,
  maxNdefBytes: 1024,
  recoveryMs: Object.freeze({ initial: 250, max: 30_000 }),
  bootMs: 20,
  /** InListPassiveTarget passive activation retries (RFConfiguration MaxRetries), so a poll ends. */
  passiveRetries: 0x02,
  /** Link faults in a row before the controller is recovered. */
  faultsBeforeRecovery: 3,
  commandTimeoutMs: 250,
  listTimeoutMs: 1000,
  exchangeTimeoutMs: 500,
  targetTimeoutMs: 1000,
  /** Reads of one tag that fail on the way (not on its content) before it is reported with the error. */
  readAttempts: 3,
});

/** Read failures that say nothing about the tag's content; the read is tried again. */
const TRANSIENT_READ_FAULTS = new Set<string>(["controller-status", "bad-response"]);

/** Link failures: the controller or the bus, not the tag. */
const LINK_FAULTS = new Set<string>([
  "frame-length-checksum",
  "frame-data-checksum",
  "frame-postamble",
  "frame-truncated",
  "frame-too-long",
  "frame-direction",
  "frame-unexpected",
  "syntax-error",
  "ack-timeout",
  "response-timeout",
  "bus",
  "controller-unknown",
  "bad-response",
]);

type InitStep = "sam" | "version" | "retries";

interface Reading {
  target: TargetA;
  kind: TagKind;
  procedure: TagProcedure;
}

export class NfcReader {
  readonly #o: NfcReaderOptions;
  readonly #timers: Timers;
  readonly #link: Pn532;
  readonly #params = new Uint8Array(1 + MAX_FRAME_DATA);
  readonly #apdu = new Uint8Array(MAX_FRAME_DATA);
  readonly #type2: Type2Procedure;
  readonly #type4: Type4Procedure;
  readonly #emulator: Type4Emulator;
  readonly #targetParams: Uint8Array;
  readonly #listParams = Uint8Array.of(1, BRTY_106A);
  readonly #retryParams = Uint8Array.of(RF_ITEM.MAX_RETRIES, 0xff, 0x01, READER_DEFAULTS.passiveRetries);
  readonly #releaseParams = new Uint8Array(1);
  readonly #none = new Uint8Array(0);
  readonly #maxNdefBytes: number;

  #state: ReaderState = "starting";
  #timer: TimerHandle | undefined;
  #present: TagInfo | undefined;
  #misses = 0;
  #faults = 0;
  #recoveryDelay: number;
  #firmware: FirmwareVersion | undefined;
  #presentedUri: string | undefined;
  #reading: Reading | undefined;
  /** Bumped by recovery and close: answers to commands of an earlier epoch are ignored. */
  #epoch = 0;
  /** The controller may have lost its configuration; configure before the next poll. */
  #doubtful = false;
  /** A tag whose read failed for a reason that may pass (link trouble, moved): tried again. */
  #retryUid: Uint8Array | undefined;
  #retries = 0;

  constructor(options: NfcReaderOptions) {
    this.#o = options;
    this.#timers = options.timers;
    this.#maxNdefBytes = options.maxNdefBytes ?? READER_DEFAULTS.maxNdefBytes;
    this.#link = new Pn532({ transport: options.transport, timers: options.timers, ackTimeoutMs: options.ackTimeoutMs, pollMs: options.linkPollMs, retries: options.retries });
    // A Type 2 tag's memory up to the data area the device reads, and one READ of slack.
    this.#type2 = new Type2Procedure(new Uint8Array(16 + this.#maxNdefBytes + 16));
    this.#type4 = new Type4Procedure(this.#maxNdefBytes);
    this.#emulator = new Type4Emulator(this.#maxNdefBytes);
    this.#targetParams = type4TargetParams(options.nfcid1t ?? Uint8Array.of(0x50, 0x54, 0x01));
    this.#recoveryDelay = (options.recoveryMs ?? READER_DEFAULTS.recoveryMs).initial;
    this.#configure();
  }

  get state(): ReaderState {
    return this.#state;
  }

  /** The PN532's version, once it has answered. */
  get firmware(): FirmwareVersion | undefined {
    return this.#firmware;
  }

  get linkCounters(): Readonly<LinkCounters> {
    return this.#link.counters;
  }

  /** The tag in the field now, as last read. */
  sample(): TagInfo | undefined {
    return this.#present;
  }

  /**
   * Offers `uri` to phones as a Type 4 tag's NDEF URI record between polls; undefined stops.
   * Throws if the URI does not fit the emulated tag.
   */
  present(uri: string | undefined): void {
    if (this.#state === "closed") throw new NfcError("closed", "the NFC reader is closed");
    if (uri === undefined) {
      this.#presentedUri = undefined;
      if (this.#state === "emulating") this.#link.abort();
      return;
    }
    this.#emulator.setMessage(encodeNdef([uriRecord(uri)]));
    this.#presentedUri = uri;
  }

  get presenting(): string | undefined {
    return this.#presentedUri;
  }

  close(): void {
    if (this.#state === "closed") return;
    this.#clearTimer();
    this.#epoch++;
    this.#set("closed");
    this.#link.close();
  }

  #set(state: ReaderState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#o.onStateChange?.(state);
  }

  #clearTimer(): void {
    if (this.#timer) this.#timers.clear(this.#timer);
    this.#timer = undefined;
  }

  #later(step: () => void, ms: number): void {
    this.#clearTimer();
    this.#timer = this.#timers.once(() => {
      this.#timer = undefined;
      if (this.#state !== "closed") step();
    }, ms);
  }

  #run(command: number, params: Uint8Array, timeoutMs: number, answerBytes: number, done: (error: NfcError | undefined, answer: Uint8Array) => void): void {
    const epoch = this.#epoch;
    const counters = this.#link.counters;
    const troubles = counters.resends + counters.busErrors;
    this.#link.execute(command, params, { timeoutMs, answerBytes }, (error, answer) => {
      if (epoch !== this.#epoch || this.#state === "closed") return;
      // A command that went through only on a resend may have woken a controller that had reset
      // (brown-out, power-down) and forgotten its configuration: configure it again before polling.
      if (counters.resends + counters.busErrors !== troubles) this.#doubtful = true;
      done(error, answer);
    });
  }

  // --- starting and recovering ---------------------------------------------------------------

  #configure(step: InitStep = "sam"): void {
    const next = (error: NfcError | undefined, then: () => void) => {
      if (error) this.#recoveryFailed(error);
      else then();
    };
    const t = READER_DEFAULTS.commandTimeoutMs;
    if (step === "sam") this.#run(COMMAND.SAM_CONFIGURATION, SAM_NORMAL, t, 1, (e) => next(e, () => this.#configure("version")));
    else if (step === "version")
      this.#run(COMMAND.GET_FIRMWARE_VERSION, this.#none, t, 4, (e, answer) =>
        next(e, () => {
          try {
            const version = parseFirmwareVersion(answer);
            if (version.ic !== PN532_IC) throw new NfcError("bad-response", `GetFirmwareVersion reports IC ${hexByte(version.ic)}, not a PN532 (0x32)`);
            this.#firmware = version;
          } catch (error) {
            this.#recoveryFailed(error as NfcError);
            return;
          }
          this.#configure("retries");
        }),
      );
    else
      this.#run(COMMAND.RF_CONFIGURATION, this.#retryParams, t, 1, (e) =>
        next(e, () => {
          this.#doubtful = false;
          this.#faults = 0;
          this.#recoveryDelay = (this.#o.recoveryMs ?? READER_DEFAULTS.recoveryMs).initial;
          this.#poll();
        }),
      );
  }

  #recoveryFailed(error: NfcError): void {
    this.#report(error);
    const limits = this.#o.recoveryMs ?? READER_DEFAULTS.recoveryMs;
    const delay = this.#recoveryDelay;
    this.#recoveryDelay = Math.min(limits.max, this.#recoveryDelay * 2);
    this.#set("recovering");
    this.#later(() => this.#recover(), delay);
  }

  #recover(): void {
    this.#set("recovering");
    this.#epoch++;
    this.#link.abort();
    this.#reading = undefined;
    this.#link.wakeBeforeNext();
    if (this.#link.hardReset()) this.#later(() => this.#configure(), this.#o.bootMs ?? READER_DEFAULTS.bootMs);
    else this.#configure();
  }

  #report(error: NfcError): void {
    try {
      this.#o.onError?.(error);
    } catch {
      // Nowhere left to report to; the reader carries on.
    }
  }

  /** A failed step: tag-level trouble is reported and polling goes on; link trouble adds up to a recovery. */
  #fault(error: NfcError): void {
    this.#report(error);
    if (!LINK_FAULTS.has(error.code)) {
      this.#next();
      return;
    }
    this.#faults++;
    if (error.code === "ack-timeout" || this.#faults >= READER_DEFAULTS.faultsBeforeRecovery) {
      this.#faults = 0;
      this.#recover();
      return;
    }
    this.#next();
  }

  // --- polling and reading ---------------------------------------------------------------------

  /** After a poll or a read: target mode if a URI is presented, else the next poll after a pause. */
  #next(): void {
    if (this.#presentedUri !== undefined) this.#emulate();
    else {
      this.#set("polling");
      this.#later(() => this.#poll(), this.#o.pollIntervalMs ?? READER_DEFAULTS.pollIntervalMs);
    }
  }

  #poll(): void {
    if (this.#doubtful) return this.#configure();
    this.#set("polling");
    this.#run(COMMAND.IN_LIST_PASSIVE_TARGET, this.#listParams, READER_DEFAULTS.listTimeoutMs, 64, (error, answer) => {
      if (error) return this.#fault(error);
      let target: TargetA | undefined;
      try {
        target = parseTargetA(answer);
      } catch (failure) {
        return this.#fault(failure as NfcError);
      }
      this.#faults = 0;
      if (!target) {
        this.#missed();
        return this.#next();
      }
      const present = this.#present;
      if (present && sameBytes(present.uid, target.uid)) {
        this.#misses = 0;
        return this.#release(target.tg);
      }
      if (present) this.#left();
      this.#read(target);
    });
  }

  #missed(): void {
    if (!this.#present) return;
    this.#misses++;
    if (this.#misses >= (this.#o.leaveAfterMisses ?? READER_DEFAULTS.leaveAfterMisses)) this.#left();
  }

  #left(): void {
    const tag = this.#present;
    this.#present = undefined;
    this.#misses = 0;
    if (tag) this.#notify(this.#o.onLeave, tag);
  }

  #read(target: TargetA): void {
    const kind: TagKind = (target.sak & SAK_ISO14443_4) !== 0 ? "type4" : target.sak === 0x00 ? "type2" : "card";
    if (kind === "card") return this.#arrived(target, kind, undefined, undefined, undefined);
    const procedure = kind === "type2" ? this.#type2 : this.#type4;
    this.#set("reading");
    this.#reading = { target, kind, procedure };
    this.#exchange(procedure.begin(this.#apdu));
  }

  #exchange(length: number): void {
    const reading = this.#reading as Reading;
    const params = this.#params;
    params[0] = reading.target.tg;
    params.set(this.#apdu.subarray(0, length), 1);
    // The status byte, then what the tag answers.
    const answerBytes = 1 + reading.procedure.answerBytes;
    this.#run(COMMAND.IN_DATA_EXCHANGE, params.subarray(0, 1 + length), READER_DEFAULTS.exchangeTimeoutMs, answerBytes, (error, answer) => {
      if (!this.#reading) return;
      if (error) {
        this.#reading = undefined;
        return this.#fault(error);
      }
      this.#faults = 0;
      if (answer.length < 1) return this.#readDone(new NfcError("bad-response", "InDataExchange answered no status byte"));
      if (statusCode(answer[0]) !== STATUS.OK) return this.#readDone(statusError(COMMAND.IN_DATA_EXCHANGE, answer[0]));
      let next: number;
      try {
        next = reading.procedure.next(answer.subarray(1), this.#apdu);
      } catch (failure) {
        return this.#readDone(failure instanceof NfcError ? failure : new NfcError("bad-response", String(failure)));
      }
      if (next > 0) this.#exchange(next);
      else this.#readDone(undefined);
    });
  }

  #readDone(error: NfcError | undefined): void {
    const reading = this.#reading as Reading;
    this.#reading = undefined;
    if (error && TRANSIENT_READ_FAULTS.has(error.code)) {
      // Damaged on the way or moved away mid-read: not a tap yet. Read it again on the next poll
      // if it is still there; report it with the error after a few tries.
      const again = this.#retryUid !== undefined && sameBytes(this.#retryUid, reading.target.uid);
      this.#retries = again ? this.#retries + 1 : 1;
      this.#retryUid = reading.target.uid;
      if (this.#retries < READER_DEFAULTS.readAttempts) {
        this.#report(error);
        return this.#release(reading.target.tg);
      }
    }
    this.#retryUid = undefined;
    this.#retries = 0;
    const aid = reading.procedure === this.#type4 && !error ? this.#type4.application : undefined;
    this.#arrived(reading.target, reading.kind, error ? undefined : reading.procedure.ndef, error, aid);
  }

  #arrived(target: TargetA, kind: TagKind, ndef: Uint8Array | undefined, error: NfcError | undefined, aid: Uint8Array | undefined): void {
    let records: NdefRecord[] | undefined;
    if (ndef) {
      try {
        records = decodeNdef(ndef, { maxRecords: 32, maxPayloadBytes: this.#maxNdefBytes });
      } catch (failure) {
        error = failure as NfcError;
      }
    }
    const tag: TagInfo = { uid: target.uid, atqa: target.atqa, sak: target.sak, ats: target.ats, kind, ndef, records, ndefError: error, aid };
    this.#present = tag;
    this.#misses = 0;
    this.#notify(this.#o.onArrive, tag);
    this.#release(target.tg);
  }

  /** The application's callbacks run inside the driver's state machine: a throw there must not stall it. */
  #notify<T>(callback: ((value: T) => void) | undefined, value: T): void {
    if (!callback) return;
    try {
      callback(value);
    } catch (error) {
      this.#report(new NfcError("callback", `a callback threw: ${(error as Error)?.message ?? String(error)}`));
    }
  }

  #release(tg: number): void {
    this.#releaseParams[0] = tg;
    this.#run(COMMAND.IN_RELEASE, this.#releaseParams, READER_DEFAULTS.commandTimeoutMs, 1, (error) => {
      if (error) return this.#fault(error);
      this.#next();
    });
  }

  // --- card emulation --------------------------------------------------------------------------

  #emulate(): void {
    this.#set("emulating");
    this.#emulator.reset();
    // The PN532 waits in TgInitAsTarget until a phone activates it; the window ends it with an ACK.
    this.#run(COMMAND.TG_INIT_AS_TARGET, this.#targetParams, 0x7fffffff, 64, (error) => {
      this.#clearTimer();
      if (error?.code === "aborted") return this.#poll();
      if (error) return this.#fault(error);
      this.#targetGet();
    });
    this.#later(() => this.#link.abort(), this.#o.presentWindowMs ?? READER_DEFAULTS.presentWindowMs);
  }

  #targetGet(): void {
    this.#run(COMMAND.TG_GET_DATA, this.#none, READER_DEFAULTS.targetTimeoutMs, MAX_FRAME_DATA, (error, answer) => {
      if (error) return this.#sessionOver(error);
      if (answer.length < 1) return this.#sessionOver(new NfcError("bad-response", "TgGetData answered no status byte"));
      if (statusCode(answer[0]) !== STATUS.OK) return this.#sessionOver(statusCode(answer[0]) === STATUS.RELEASED ? undefined : statusError(COMMAND.TG_GET_DATA, answer[0]));
      const length = this.#emulator.respond(answer.subarray(1), this.#apdu);
      this.#run(COMMAND.TG_SET_DATA, this.#apdu.subarray(0, length), READER_DEFAULTS.targetTimeoutMs, 1, (setError, setAnswer) => {
        if (setError) return this.#sessionOver(setError);
        if (setAnswer.length >= 1 && statusCode(setAnswer[0]) !== STATUS.OK) {
          const code = statusCode(setAnswer[0]);
          return this.#sessionOver(code === STATUS.RELEASED ? undefined : statusError(COMMAND.TG_SET_DATA, setAnswer[0]));
        }
        this.#targetGet();
      });
    });
  }

  /** The phone went away (released us, or stopped talking). */
  #sessionOver(error: NfcError | undefined): void {
    const uri = this.#presentedUri;
    if (uri !== undefined) this.#notify(this.#o.onPresented, { uri, delivered: this.#emulator.delivered });
    if (error && LINK_FAULTS.has(error.code)) return this.#fault(error);
    if (error && error.code !== "aborted" && !this.#emulator.delivered) this.#report(error);
    this.#poll();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
