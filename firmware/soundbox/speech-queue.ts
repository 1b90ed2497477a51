/**
 * What the soundbox says next: an explicit state machine over three queues.
 *
 *   idle --something queued--> speaking --utterance played, more queued--> speaking
 *                                  |
 *                                  +--utterance played, nothing queued--> idle
 *
 * Nothing that is playing is ever cut off (the Player only takes an utterance when it is free).
 * When the player is free, the next utterance comes from the first non-empty queue, in order:
 *
 *   1. payments: announcements, burst summaries, "while you were offline" summaries, in arrival order;
 *   2. requests: what the merchant asked for with a button or a command (replay, today's
 *      summary, the volume level);
 *   3. prompts: device status (ready, connected, no network, battery low, charging).
 *
 * So a prompt never goes before a payment, even one that arrived after the prompt was queued.
 *
 * Burst policy: a payment is announced on its own unless more than `burstDepth` payments are
 * already waiting to be spoken (the one playing not counted). Then every waiting payment folds
 * into one "received N payments, total X" per currency, in the order the currencies first
 * arrived, and payments arriving before that summary starts join it. With the default depth of
 * 10, ten payments in one second are all announced, in order. A depth of 0 never folds.
 */
import type { Log } from "../../hal/log";
import type { JournalEntry } from "../payments/journal";
import type { Prompt } from "../voice/language";
import type { Player, Sound } from "./player";

export const DEFAULT_BURST_DEPTH = 10;

export type Utterance =
  | { kind: "payment"; entry: JournalEntry; sounds: readonly Sound[] }
  | { kind: "burst"; currency: string; count: number; totalMinor: number }
  | { kind: "offline"; currency: string; count: number; totalMinor: number; sounds: readonly Sound[] }
  | { kind: "replay"; entry: JournalEntry }
  | { kind: "today" }
  | { kind: "volume"; level: number; changed: boolean }
  | { kind: "status"; status: Prompt };

export type UtteranceKind = Utterance["kind"];
export type QueueState = "idle" | "speaking";

type Payment = Extract<Utterance, { kind: "payment" }>;
type Burst = Extract<Utterance, { kind: "burst" }>;

export interface SpeechQueueOptions {
  player: Player;
  log: Log;
  /** The sounds of an utterance; may throw for one it cannot say (logged and skipped). */
  compose(utterance: Utterance): readonly Sound[];
  burstDepth?: number;
}

function describe(utterance: Utterance): Record<string, string | number | boolean | undefined> {
  switch (utterance.kind) {
    case "payment":
    case "replay":
      return { txn: utterance.entry.confirmation.transactionId };
    case "burst":
    case "offline":
      return { cur: utterance.currency, count: utterance.count, total: utterance.totalMinor };
    case "volume":
      return { level: utterance.level };
    case "status":
      return { status: utterance.status };
    case "today":
      return {};
  }
}

function soundNames(sounds: readonly Sound[]): string {
  return sounds.map((s) => (typeof s === "string" ? s : `tone:${s.hz}:${s.ms}`)).join(" ");
}

export class SpeechQueue {
  readonly #o: SpeechQueueOptions;
  readonly #burstDepth: number;
  readonly #payments: Utterance[] = [];
  readonly #requests: Utterance[] = [];
  readonly #prompts: Utterance[] = [];
  #state: QueueState = "idle";
  #current: Utterance | undefined;

  constructor(options: SpeechQueueOptions) {
    this.#o = options;
    this.#burstDepth = options.burstDepth ?? DEFAULT_BURST_DEPTH;
  }

  get state(): QueueState {
    return this.#state;
  }

  /** What is playing now. */
  get current(): UtteranceKind | undefined {
    return this.#current?.kind;
  }

  /** Utterances waiting, the one playing not counted. */
  get waiting(): number {
    return this.#payments.length + this.#requests.length + this.#prompts.length;
  }

  /** Whether an utterance of this kind waits (not counting the one playing). */
  has(kind: UtteranceKind): boolean {
    const isKind = (u: Utterance) => u.kind === kind;
    return this.#payments.some(isKind) || this.#requests.some(isKind) || this.#prompts.some(isKind);
  }

  payment(entry: JournalEntry, sounds: readonly Sound[]): void {
    const { currency, amountMinor } = entry.confirmation;
    const payments = this.#payments;
    const burst = payments.find((u): u is Burst => u.kind === "burst" && u.currency === currency);
    if (burst) {
      burst.count++;
      burst.totalMinor += amountMinor;
    } else if (payments.some((u) => u.kind === "burst")) {
      payments.push({ kind: "burst", currency, count: 1, totalMinor: amountMinor });
    } else {
      payments.push({ kind: "payment", entry, sounds });
      if (this.#burstDepth > 0 && this.#countPayments() > this.#burstDepth) this.#fold();
    }
    this.#wake();
  }

  /** A "while you were offline" summary (payments delivered late, see payments/late-policy). */
  offline(currency: string, count: number, totalMinor: number, sounds: readonly Sound[]): void {
    this.#payments.push({ kind: "offline", currency, count, totalMinor, sounds });
    this.#wake();
  }

  /**
   * Something the merchant asked for. A volume level replaces one still waiting (only the
   * latest level is worth saying); today's summary is said once however often it is asked.
   */
  request(utterance: Extract<Utterance, { kind: "replay" | "today" | "volume" }>): void {
    const requests = this.#requests;
    if (utterance.kind === "volume") {
      const waiting = requests.findIndex((u) => u.kind === "volume");
      if (waiting >= 0) requests.splice(waiting, 1);
    } else if (utterance.kind === "today" && requests.some((u) => u.kind === "today")) {
      return;
    }
    requests.push(utterance);
    this.#wake();
  }

  /** A status prompt; "connected" and "no network" replace each other while waiting, and a prompt already waiting is not queued twice. */
  prompt(status: Prompt): void {
    const prompts = this.#prompts;
    const network = status === "connected" || status === "no_network";
    for (let i = prompts.length - 1; i >= 0; i--) {
      const waiting = prompts[i];
      if (waiting.kind !== "status") continue;
      if (waiting.status === status) return;
      if (network && (waiting.status === "connected" || waiting.status === "no_network")) prompts.splice(i, 1);
    }
    prompts.push({ kind: "status", status });
    this.#wake();
  }

  /** Drops everything waiting (the device is stopping); what plays finishes. */
  clear(): void {
    this.#payments.length = 0;
    this.#requests.length = 0;
    this.#prompts.length = 0;
  }

  #countPayments(): number {
    let n = 0;
    for (const u of this.#payments) if (u.kind === "payment") n++;
    return n;
  }

  #fold(): void {
    const payments = this.#payments;
    const kept: Utterance[] = [];
    let folded = 0;
    for (const u of payments) {
      if (u.kind !== "payment") {
        kept.push(u);
        continue;
      }
      const { currency, amountMinor } = (u as Payment).entry.confirmation;
      const burst = kept.find((k): k is Burst => k.kind === "burst" && k.currency === currency);
      if (burst) {
        burst.count++;
        burst.totalMinor += amountMinor;
      } else {
        kept.push({ kind: "burst", currency, count: 1, totalMinor: amountMinor });
      }
      folded++;
    }
    payments.length = 0;
    for (const u of kept) payments.push(u);
    this.#o.log.event("info", "burst-folded", { payments: folded, depth: this.#burstDepth });
  }

  #wake(): void {
    if (this.#state === "idle") this.#next();
  }

  #next(): void {
    for (;;) {
      const utterance = this.#payments.shift() ?? this.#requests.shift() ?? this.#prompts.shift();
      if (!utterance) {
        this.#state = "idle";
        this.#current = undefined;
        return;
      }
      let sounds: readonly Sound[];
      try {
        sounds = this.#o.compose(utterance);
      } catch (error) {
        this.#o.log.event("error", "unsayable", { kind: utterance.kind, ...describe(utterance), detail: (error as Error).message });
        continue;
      }
      this.#state = "speaking";
      this.#current = utterance;
      this.#o.log.event("info", "spoken", { kind: utterance.kind, ...describe(utterance), clips: soundNames(sounds), voice: this.#o.player.voice });
      this.#o.player.play(sounds, () => {
        this.#o.log.event("debug", "played", { kind: utterance.kind, ...describe(utterance) });
        this.#next();
      });
      return;
    }
  }
}
