/**
 * Argument parsing shared by the CLI's commands: strict flags, checked values, and a UsageError
 * for anything off, which host-sim/cli.ts turns into the message, the usage and exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { currencyInfo, formatAmount, MAX_AMOUNT_MINOR, parseAmount, type CurrencyInfo } from "../../firmware/money";

export class UsageError extends Error {}

export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Flags plus positional arguments, for commands such as `payterm qr parse PAYLOAD`. */
export function parseWithPositionals<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The longest expiry a flag takes, in seconds: a year, more than any charge or tag should be on offer. */
export const MAX_EXPIRY_S = 366 * 86_400;

/** A whole number from `min` to `max`, named `name` in the message (a flag as "--seq"); undefined when absent. */
export function integerArg(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** A currency the firmware knows, by its ISO 4217 code. */
export function currencyArg(code: string, name = "--currency"): CurrencyInfo {
  const currency = currencyInfo(code);
  if (!currency) throw new UsageError(`${name} ${code} is not a supported ISO 4217 code`);
  return currency;
}

/** An amount as people write it ("250.50"), in minor units of `currency`: above 0, at most MAX_AMOUNT_MINOR. */
export function amountArg(text: string, currency: CurrencyInfo, name = "--amount"): number {
  const minor = parseAmount(text, currency.exponent);
  if (minor === undefined || minor === 0)
    throw new UsageError(
      `${name} must be a positive decimal with at most ${currency.exponent} decimals and no separators, up to ${formatAmount(MAX_AMOUNT_MINOR, currency.exponent)}, got ${JSON.stringify(text)}`,
    );
  return minor;
}
