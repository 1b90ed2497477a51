/** The CLI run in-process through its dispatcher (host-sim/cli.ts), as a test sees it: exit code and what it printed. */
import { jest } from "@jest/globals";
import { main } from "../../host-sim/cli";

export interface CliRun {
  code: number;
  /** What went to console.log, lines joined with "\n". */
  out: string;
  /** What went to console.error. */
  err: string;
}

export async function runCli(...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, "log").mockImplementation((...values: unknown[]) => void out.push(values.join(" ")));
  const error = jest.spyOn(console, "error").mockImplementation((...values: unknown[]) => void err.push(values.join(" ")));
  try {
    const code = await main(args);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
