/**
 * The command dispatcher: commands from the service, in the order they are handled,
 *   receive -> decode -> authenticate -> validate -> de-duplicate -> record -> run -> result
 * and every command ends in exactly one result on the device's cmdack topic: ok (with what the
 * handler returned), duplicate, or rejected with a reason code.
 *
 * Features plug in by name: `register("config", handler)`. See firmware/commands/README.md.
 */
import type { Clock } from "../../hal/clock";
import type { Crypto } from "../../hal/crypto";
import type { Log } from "../../hal/log";
import type { CborMap } from "../protocol/cbor";
import { decodeEnvelope } from "../payments/envelope";
import type { Keyring } from "../payments/keyring";
import { Reason, Rejection, type ReasonCode } from "../payments/reasons";
import { authenticateEnvelope } from "../payments/verify";
import { CommandArgs } from "./args";
import { COMMAND_NAME, parseCommand, type Command } from "./command";
import type { CommandLedger } from "./ledger";
import { encodeCommandResult, type CommandOutcome } from "./result";

export interface CommandContext {
  readonly command: Command;
  /** The command's arguments, with checked readers. Call `args.done()` before acting. */
  readonly args: CommandArgs;
  /** Id of the key that authenticated the command. */
  readonly keyId: string;
}

/**
 * Runs one command. Returns what to report back (a small map, or nothing); throws a Rejection
 * (`refuse()` in args.ts) to refuse it. It runs synchronously and must not block: a long job
 * starts its work, returns at once, and reports progress by its own means.
 */
export type CommandHandler = (context: CommandContext) => CborMap | void;

export interface DispatcherOptions {
  deviceId: string;
  clock: Clock;
  crypto: Crypto;
  log: Log;
  keyring: Keyring;
  ledger: CommandLedger;
  /** Publishes the encoded result on the device's cmdack topic. */
  publishResult(payload: Uint8Array): void;
}

export class CommandCounters {
  received = 0;
  ok = 0;
  duplicates = 0;
  rejected = 0;
}

export class CommandDispatcher {
  readonly counters = new CommandCounters();
  readonly #o: DispatcherOptions;
  readonly #handlers = new Map<string, CommandHandler>();

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  /** Makes `name` a command this device runs. A name can be registered once. */
  register(name: string, handler: CommandHandler): void {
    if (!COMMAND_NAME.test(name)) throw new Error(`command name must match ${COMMAND_NAME.source}: ${JSON.stringify(name)}`);
    if (this.#handlers.has(name)) throw new Error(`command "${name}" is already registered`);
    this.#handlers.set(name, handler);
  }

  /** The registered command names, sorted. */
  names(): string[] {
    return [...this.#handlers.keys()].sort();
  }

  /**
   * Runs one MQTT payload from the cmd topic. `settle` releases the transport's QoS 1
   * acknowledgement once the outcome is durable (the command recorded, or known to be refused).
   */
  receive(payload: Uint8Array, settle: () => void = () => {}): CommandOutcome {
    this.counters.received++;
    const { clock, log } = this.#o;
    let settled = false;
    const settleOnce = () => {
      if (settled) return;
      settled = true;
      settle();
    };
    let outcome: CommandOutcome;
    try {
      outcome = this.#run(payload, settleOnce);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      outcome = this.#outcome("rejected", error.transactionId, { reason: error.reason, detail: error.detail });
    }
    settleOnce();
    if (outcome.status === "ok") this.counters.ok++;
    else if (outcome.status === "duplicate") this.counters.duplicates++;
    else this.counters.rejected++;
    log.event(outcome.status === "rejected" ? "warn" : "info", "command-result", {
      id: outcome.id,
      st: outcome.status,
      rc: outcome.reason,
      detail: outcome.detail,
      at: clock.now(),
    });
    this.#o.publishResult(encodeCommandResult(outcome));
    return outcome;
  }

  #run(payload: Uint8Array, settle: () => void): CommandOutcome {
    const { keyring, crypto, ledger, log, clock } = this.#o;
    const envelope = decodeEnvelope(payload);
    const command = parseCommand(authenticateEnvelope(envelope, "command", keyring, crypto));
    const { id, name } = command;
    if (command.deviceId !== this.#o.deviceId) throw new Rejection(Reason.wrongDevice, `addressed to ${command.deviceId}`, id);
    const known = ledger.find(id);
    if (known) return this.#outcome("duplicate", id, { reason: Reason.duplicate, previous: known.state });
    const now = clock.now();
    if (now > command.expiresAt) throw new Rejection(Reason.expired, `expired ${now - command.expiresAt} ms ago`, id);
    if (command.issuedAt <= ledger.floor)
      throw new Rejection(Reason.tooOld, `issued at ${command.issuedAt}, not after ${ledger.floor}, the oldest the ledger can tell apart`, id);
    const handler = this.#handlers.get(name);
    if (!handler) throw new Rejection(Reason.unknownCommand, `no command "${name}" on this device`, id);
    log.event("info", "command", { id, name, kid: envelope.keyId });

    let entry;
    try {
      entry = ledger.begin(command);
    } catch (error) {
      throw new Rejection(Reason.journalFailed, error instanceof Error ? error.message : String(error), id);
    }
    settle();

    let outcome: CommandOutcome;
    try {
      const result = handler({ command, args: new CommandArgs(command.args), keyId: envelope.keyId });
      outcome = this.#outcome("ok", id, { result: result ?? undefined });
    } catch (error) {
      outcome =
        error instanceof Rejection
          ? this.#outcome("rejected", id, { reason: error.reason, detail: error.detail })
          : this.#outcome("rejected", id, { reason: Reason.commandFailed, detail: error instanceof Error ? error.message : String(error) });
    }
    try {
      ledger.finish(entry, outcome.status === "ok" ? "ok" : "rejected");
    } catch (error) {
      // The entry stays "running": a replay is still refused. Only the recorded outcome is lost.
      log.event("warn", "command-ledger", { id, detail: error instanceof Error ? error.message : String(error) });
    }
    return outcome;
  }

  #outcome(
    status: CommandOutcome["status"],
    id: string | undefined,
    extra: { reason?: ReasonCode; detail?: string; result?: CborMap; previous?: CommandOutcome["previous"] },
  ): CommandOutcome {
    return {
      status,
      id,
      reason: extra.reason,
      detail: extra.detail,
      result: extra.result,
      previous: extra.previous,
      at: this.#o.clock.now(),
    };
  }
}
