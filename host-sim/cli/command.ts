/**
 * One CLI command. `run` returns the process exit code, or -1 for a long-running command
 * (such as `start`) that keeps the process alive until a signal.
 */
export interface Command {
  readonly name: string;
  /** Usage lines, each starting with `payterm <name>`. */
  readonly usage: readonly string[];
  run(args: string[]): Promise<number>;
}
