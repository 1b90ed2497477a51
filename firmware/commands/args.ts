/**
 * Reading a command's arguments, for handlers: each read checks the type and range and refuses
 * the command with `bad_args` and a precise detail when they are wrong; `done()` refuses any
 * argument the handler did not read, so a misspelt one is never silently ignored.
 */
import type { CborMap, CborValue } from "../protocol/cbor";
import { Reason, Rejection, type ReasonCode } from "../payments/reasons";

/** Ends the command with `rejected` and this reason; handlers throw it for anything they refuse. */
export function refuse(detail: string, reason: ReasonCode = Reason.badArgs): never {
  throw new Rejection(reason, detail);
}

export class CommandArgs {
  readonly #args: CborMap;
  readonly #read = new Set<string>();

  constructor(args: CborMap) {
    this.#args = args;
  }

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.#args, name);
  }

  /** Every argument name, for handlers whose arguments are open-ended (settings). */
  names(): string[] {
    return Object.keys(this.#args);
  }

  value(name: string): CborValue | undefined {
    this.#read.add(name);
    return this.has(name) ? this.#args[name] : undefined;
  }

  text(name: string, pattern: RegExp): string {
    const value = this.value(name);
    if (value === undefined) refuse(`argument "${name}" is required`);
    if (typeof value !== "string" || !pattern.test(value)) refuse(`argument "${name}" must be a string matching ${pattern.source}`);
    return value;
  }

  optionalText(name: string, pattern: RegExp): string | undefined {
    return this.has(name) ? this.text(name, pattern) : (this.#read.add(name), undefined);
  }

  integer(name: string, min: number, max: number): number {
    const value = this.value(name);
    if (value === undefined) refuse(`argument "${name}" is required`);
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
      refuse(`argument "${name}" must be an integer from ${min} to ${max}`);
    return value;
  }

  optionalInteger(name: string, min: number, max: number): number | undefined {
    return this.has(name) ? this.integer(name, min, max) : (this.#read.add(name), undefined);
  }

  bytes(name: string, length: number): Uint8Array {
    const value = this.value(name);
    if (value === undefined) refuse(`argument "${name}" is required`);
    if (!(value instanceof Uint8Array) || value.length !== length) refuse(`argument "${name}" must be a byte string of ${length} bytes`);
    return value;
  }

  /** Refuses the command if it carries an argument nobody read. */
  done(): void {
    for (const name of Object.keys(this.#args)) if (!this.#read.has(name)) refuse(`unknown argument "${name}"`);
  }
}
