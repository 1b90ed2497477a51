/**
 * Following commands to their results: a command is published at QoS 1 and republished, the same
 * signed bytes, until the device's result arrives or the command expires. The device runs a
 * command id at most once, so a copy that arrives after the first is answered "duplicate" and
 * changes nothing; the first result to arrive settles the command.
 */
import type { CommandResult } from "./command";

export interface CommandPolicy {
  /** First wait for a result before republishing, ms. */
  retryMs: number;
  /** Ceiling of the wait between copies, ms (each wait doubles). */
  maxRetryMs: number;
}

export const DEFAULT_COMMAND_POLICY: CommandPolicy = { retryMs: 3_000, maxRetryMs: 15_000 };

export interface CommandTransport {
  send(deviceId: string, payload: Uint8Array): Promise<void>;
  readonly connected: boolean;
}

interface Pending {
  deviceId: string;
  payload: Uint8Array;
  expiresAt: number;
  waitMs: number;
  timer: NodeJS.Timeout | undefined;
  /** A copy fell due while the broker was unreachable: sent on the next connect. */
  due: boolean;
  resolve(result: CommandResult): void;
  reject(error: Error): void;
}

export class CommandTracker {
  readonly policy: CommandPolicy;
  readonly #pending = new Map<string, Pending>();
  #closed = false;

  constructor(
    private readonly transport: CommandTransport,
    policy: Partial<CommandPolicy> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.policy = { ...DEFAULT_COMMAND_POLICY, ...policy };
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Publishes the command and resolves with the device's result; rejects at its expiry. */
  run(id: string, deviceId: string, payload: Uint8Array, expiresAt: number): Promise<CommandResult> {
    if (this.#closed) return Promise.reject(new Error("payment service is closed"));
    if (this.#pending.has(id)) return Promise.reject(new Error(`command ${id} is already on its way`));
    return new Promise<CommandResult>((resolve, reject) => {
      const pending: Pending = { deviceId, payload, expiresAt, waitMs: this.policy.retryMs, timer: undefined, due: false, resolve, reject };
      this.#pending.set(id, pending);
      this.#send(id, pending);
    });
  }

  /** A result arrived from a device. Results for unknown ids (a copy answered late) are ignored. */
  resulted(result: CommandResult): void {
    if (result.id === undefined) return;
    const pending = this.#pending.get(result.id);
    // Only the device it was meant for can settle a command.
    if (!pending || pending.deviceId !== result.deviceId) return;
    this.#finish(result.id, pending);
    pending.resolve(result);
  }

  reconnected(): void {
    for (const [id, pending] of this.#pending) if (pending.due) this.#send(id, pending);
  }

  close(): void {
    this.#closed = true;
    for (const [id, pending] of this.#pending) {
      this.#finish(id, pending);
      pending.reject(new Error("payment service closed"));
    }
  }

  /** Sends a copy now if the broker is reachable, and arms the timer for the next copy or the expiry. */
  #send(id: string, pending: Pending): void {
    if (pending.timer) clearTimeout(pending.timer);
    const now = this.now();
    if (now >= pending.expiresAt) {
      this.#finish(id, pending);
      pending.reject(new Error(`command ${id} to ${pending.deviceId} expired without a result`));
      return;
    }
    let wait = pending.expiresAt - now;
    pending.due = !this.transport.connected;
    if (!pending.due) {
      this.transport.send(pending.deviceId, pending.payload).catch(() => {
        // Lost with the connection; the next copy or the expiry takes over.
      });
      wait = Math.min(pending.waitMs, wait);
      pending.waitMs = Math.min(this.policy.maxRetryMs, pending.waitMs * 2);
    }
    pending.timer = setTimeout(() => {
      pending.timer = undefined;
      this.#send(id, pending);
    }, wait);
  }

  #finish(id: string, pending: Pending): void {
    if (pending.timer) clearTimeout(pending.timer);
    pending.timer = undefined;
    this.#pending.delete(id);
  }
}
