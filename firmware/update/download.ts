/**
 * One image's transfer into its slot, as an explicit state machine:
 *
 *   table --block table checked--> chunks --last block checked--> checking --slot hashes right--> done
 *     \__________________________________\_______________________________\____________________> failed
 *
 * The device asks for what it needs (the block table, then `window` chunks from the first byte it
 * lacks) and checks each block against the signed table as soon as it is whole: a corrupted chunk
 * costs one block, asked for again. Progress is saved at block boundaries, so a restart resumes
 * at the last good block, and a link cut resumes at the exact byte. When the last block is in,
 * the whole slot is read back and hashed against the manifest before anything may boot from it.
 */
import type { Timers, TimerHandle } from "../../hal/clock";
import type { Crypto, Sha256Stream } from "../../hal/crypto";
import type { Log } from "../../hal/log";
import { UpdateStorageError, type ImageArea } from "../../hal/update";
import { constantTimeEqual } from "../protocol/bytes";
import { blockCount, HASH_BYTES, type Manifest } from "./manifest";
import { encodeChunkRequest, encodeTableRequest, type UpdateData } from "./messages";
import { UpdateReason, type UpdateReasonCode } from "./reasons";
import type { UpdateRecords } from "./record";

export type DownloadPhase = "table" | "chunks" | "checking" | "done" | "failed";

export interface DownloadEvents {
  /** A block checked out and `offset` bytes are saved as good. */
  progress(offset: number, size: number): void;
  /** Every byte is in the slot and the slot hashes to the manifest's SHA-256. */
  complete(): void;
  failed(reason: UpdateReasonCode, detail: string): void;
}

export interface DownloadOptions {
  manifest: Manifest;
  area: ImageArea;
  records: UpdateRecords;
  crypto: Crypto;
  timers: Timers;
  log: Log;
  /** Publishes a request on upd/get. */
  request(payload: Uint8Array): void;
  events: DownloadEvents;
  /** Chunks asked for at once. */
  window?: number;
  /** How long to wait for the next chunk before asking again; doubles per attempt, up to 16x. */
  timeoutMs?: number;
  /** Requests in a row that bring nothing before giving up (progress is kept for a new offer). */
  maxAttempts?: number;
  /** Times one block may fail its hash before giving up. */
  maxBlockRetries?: number;
}

export const DOWNLOAD_DEFAULTS = Object.freeze({ window: 8, timeoutMs: 5000, maxAttempts: 8, maxBlockRetries: 3 });
/** Read-back: bytes per read, and reads per turn so the device keeps serving payments meanwhile. */
const CHECK_READ_BYTES = 4096;
const CHECK_READS_PER_TURN = 8;

export class Download {
  readonly #o: DownloadOptions;
  readonly #m: Manifest;
  readonly #window: number;
  #phase: DownloadPhase = "table";
  #table: Uint8Array | undefined;
  #offset = 0;
  #digest: Sha256Stream | undefined;
  #windowLeft = 0;
  #attempts = 0;
  #blockRetries = 0;
  #timer: TimerHandle | undefined;
  #active = false;

  /** Picks up what the records say was done; throws UpdateStorageError when the slot cannot be opened. */
  constructor(options: DownloadOptions, saved: { offset: number; table: Uint8Array | undefined }) {
    this.#o = options;
    this.#m = options.manifest;
    this.#window = options.window ?? DOWNLOAD_DEFAULTS.window;
    if (saved.table && this.#tableMatches(saved.table)) this.#table = saved.table;
    const size = this.#m.size;
    const kept = !this.#table ? 0 : saved.offset >= size ? size : this.#blockStart(saved.offset);
    this.#offset = this.#openAt(kept);
    this.#phase = !this.#table ? "table" : this.#offset === this.#m.size ? "checking" : "chunks";
    this.#digest = options.crypto.createSha256();
    // Every block was in before a restart: only the read-back is left, and it needs no link.
    if (this.#phase === "checking") this.#check();
  }

  get phase(): DownloadPhase {
    return this.#phase;
  }

  /** Bytes written in order so far (the next byte asked for). */
  get offset(): number {
    return this.#offset;
  }

  /** The link is up and subscribed: ask for what is missing (again, after a cut). */
  resume(): void {
    this.#active = true;
    if (this.#phase === "table" || this.#phase === "chunks") this.#ask();
  }

  /** The link is down: stop waiting, it is not the server's silence. */
  pause(): void {
    this.#active = false;
    if (this.#phase === "table" || this.#phase === "chunks") this.#clearTimer();
  }

  cancel(): void {
    this.#clearTimer();
    this.#active = false;
    if (this.#phase !== "done") this.#phase = "failed";
  }

  receive(message: UpdateData): void {
    if (message.releaseId !== this.#m.releaseId) return;
    if (message.kind === "error") {
      if (this.#phase === "table" || this.#phase === "chunks") this.#fail(UpdateReason.unknownRelease, `server: ${message.error}`);
      return;
    }
    if (message.kind === "table") this.#receiveTable(message.table);
    else this.#receiveChunk(message.offset, message.data);
  }

  #receiveTable(table: Uint8Array): void {
    if (this.#phase !== "table") return;
    if (!this.#tableMatches(table)) {
      this.#o.log.event("warn", "update-table-mismatch", { bytes: table.length });
      this.#attempts++;
      if (this.#attempts > (this.#o.maxAttempts ?? DOWNLOAD_DEFAULTS.maxAttempts))
        return this.#fail(UpdateReason.badTable, "the block table does not match the manifest");
      return this.#ask();
    }
    this.#table = table;
    this.#attempts = 0;
    this.#o.records.saveTable(table);
    this.#phase = "chunks";
    this.#ask();
  }

  #receiveChunk(offset: number, data: Uint8Array): void {
    if (this.#phase !== "chunks") return;
    // Chunks of an earlier window or a rewound block: not the byte needed next.
    if (offset !== this.#offset) return;
    const expected = Math.min(this.#m.chunkSize, this.#m.size - offset);
    if (data.length !== expected) {
      this.#o.log.event("warn", "update-chunk-length", { offset, bytes: data.length, expected });
      return;
    }
    try {
      this.#o.area.write(offset, data);
    } catch (error) {
      return this.#storageFailed(error);
    }
    (this.#digest as Sha256Stream).update(data);
    this.#offset += data.length;
    this.#attempts = 0;
    this.#windowLeft--;
    if (this.#offset % this.#m.blockSize === 0 || this.#offset === this.#m.size) {
      this.#closeBlock();
      return;
    }
    if (this.#windowLeft <= 0) this.#ask();
    else this.#armTimer();
  }

  #closeBlock(): void {
    const end = this.#offset;
    const index = Math.floor((end - 1) / this.#m.blockSize);
    const expected = (this.#table as Uint8Array).subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
    const actual = (this.#digest as Sha256Stream).digest();
    this.#digest = this.#o.crypto.createSha256();
    if (!constantTimeEqual(actual, expected)) {
      this.#blockRetries++;
      this.#o.log.event("warn", "update-block-mismatch", { block: index, retry: this.#blockRetries });
      if (this.#blockRetries > (this.#o.maxBlockRetries ?? DOWNLOAD_DEFAULTS.maxBlockRetries))
        return this.#fail(UpdateReason.hashMismatch, `block ${index} failed its hash ${this.#blockRetries} times`);
      try {
        this.#offset = this.#openAt(index * this.#m.blockSize);
      } catch (error) {
        return this.#storageFailed(error);
      }
      return this.#ask();
    }
    this.#blockRetries = 0;
    this.#o.records.saveOffset(end);
    this.#o.events.progress(end, this.#m.size);
    if (end === this.#m.size) {
      this.#clearTimer();
      this.#phase = "checking";
      this.#check();
    } else if (this.#windowLeft <= 0) this.#ask();
    else this.#armTimer();
  }

  /** Reads the whole slot back in slices, a few per turn, and hashes it. */
  #check(): void {
    const stream = this.#o.crypto.createSha256();
    const buffer = new Uint8Array(CHECK_READ_BYTES);
    const size = this.#m.size;
    let position = 0;
    const step = () => {
      this.#timer = undefined;
      if (this.#phase !== "checking") return;
      try {
        for (let reads = 0; reads < CHECK_READS_PER_TURN && position < size; reads++) {
          const slice = buffer.subarray(0, Math.min(CHECK_READ_BYTES, size - position));
          this.#o.area.read(position, slice);
          stream.update(slice);
          position += slice.length;
        }
      } catch (error) {
        return this.#storageFailed(error);
      }
      if (position < size) {
        this.#timer = this.#o.timers.once(step, 0);
        return;
      }
      if (!constantTimeEqual(stream.digest(), this.#m.sha256)) {
        // The blocks checked out as they arrived, so the slot changed since: start over.
        this.#o.records.saveOffset(0);
        return this.#fail(UpdateReason.imageMismatch, "the slot read back does not hash to the manifest's SHA-256");
      }
      this.#phase = "done";
      this.#o.events.complete();
    };
    this.#timer = this.#o.timers.once(step, 0);
  }

  #ask(): void {
    if (!this.#active) return;
    const { manifest, request } = this.#o;
    if (this.#phase === "table") {
      request(encodeTableRequest(manifest.releaseId));
    } else {
      const left = Math.ceil((manifest.size - this.#offset) / manifest.chunkSize);
      this.#windowLeft = Math.min(this.#window, left);
      request(encodeChunkRequest(manifest.releaseId, this.#offset, this.#windowLeft));
    }
    this.#armTimer();
  }

  #armTimer(): void {
    this.#clearTimer();
    if (!this.#active) return;
    const base = this.#o.timeoutMs ?? DOWNLOAD_DEFAULTS.timeoutMs;
    this.#timer = this.#o.timers.once(() => this.#timedOut(), base * 2 ** Math.min(this.#attempts, 4));
  }

  #timedOut(): void {
    this.#timer = undefined;
    this.#attempts++;
    const limit = this.#o.maxAttempts ?? DOWNLOAD_DEFAULTS.maxAttempts;
    this.#o.log.event("warn", "update-timeout", { offset: this.#offset, attempt: this.#attempts });
    if (this.#attempts > limit) return this.#fail(UpdateReason.timeout, `no answer after ${limit} requests at byte ${this.#offset}`);
    this.#ask();
  }

  #clearTimer(): void {
    if (this.#timer) this.#o.timers.clear(this.#timer);
    this.#timer = undefined;
  }

  #tableMatches(table: Uint8Array): boolean {
    return table.length === blockCount(this.#m) * HASH_BYTES && constantTimeEqual(this.#o.crypto.sha256(table), this.#m.tableSha256);
  }

  #blockStart(offset: number): number {
    return offset - (offset % this.#m.blockSize);
  }

  /** Opens the slot to continue at `offset`, or at the block start the platform could keep. */
  #openAt(offset: number): number {
    const { area } = this.#o;
    const size = this.#m.size;
    const kept = area.open(size, offset);
    const start = kept === size ? size : this.#blockStart(kept);
    return start === kept ? kept : area.open(size, start);
  }

  #storageFailed(error: unknown): void {
    const detail = error instanceof UpdateStorageError ? error.message : `${(error as Error)?.message ?? String(error)}`;
    this.#fail(UpdateReason.storage, detail);
  }

  #fail(reason: UpdateReasonCode, detail: string): void {
    this.#clearTimer();
    this.#phase = "failed";
    this.#o.events.failed(reason, detail);
  }
}
