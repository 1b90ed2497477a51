/**
 * Structured log events as one line of text each on Moddable's `trace` (the serial console or
 * xsbug on a device, stdout of the desktop simulator).
 * Needs: nothing beyond the XS global `trace`.
 */
import type { Log, LogFields, LogLevel } from "../log";

export class TraceLog implements Log {
  readonly #minimum: number;
  readonly #clock: () => number;

  constructor(options: { level?: LogLevel; clock?: () => number } = {}) {
    this.#minimum = LEVELS.indexOf(options.level ?? "info");
    this.#clock = options.clock ?? Date.now;
  }

  event(level: LogLevel, name: string, fields?: LogFields): void {
    if (LEVELS.indexOf(level) < this.#minimum) return;
    let line = `${this.#clock()} ${level} ${name}`;
    if (fields) {
      for (const key in fields) {
        const value = fields[key];
        if (value !== undefined) line += ` ${key}=${typeof value === "string" ? JSON.stringify(value) : String(value)}`;
      }
    }
    trace(line, "\n");
  }
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
