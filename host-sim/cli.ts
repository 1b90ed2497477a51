/**
 * payterm: the simulator's command line. Each command lives in host-sim/cli/<name>.ts;
 * this file only dispatches and turns errors into exit codes (2 for usage, 1 for failures).
 */
import { UsageError } from "./cli/args";
import type { Command } from "./cli/command";
import { cmdCommand } from "./cli/cmd";
import { fleetCommand } from "./cli/fleet";
import { nfcCommand } from "./cli/nfc";
import { payCommand } from "./cli/pay";
import { provisionCommand } from "./cli/provision";
import { qrCommand } from "./cli/qr";
import { releaseCommand } from "./cli/release";
import { runCommand } from "./cli/run";
import { sayCommand } from "./cli/say";
import { startCommand } from "./cli/start";

export const COMMANDS: readonly Command[] = [startCommand, payCommand, cmdCommand, runCommand, releaseCommand, sayCommand, provisionCommand, qrCommand, fleetCommand, nfcCommand];

const USAGE = `usage:\n${COMMANDS.flatMap((c) => c.usage.map((line) => `  ${line}`)).join("\n")}`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === "help" || name === "--help") {
      console.log(USAGE);
      return 0;
    }
    if (name === undefined) throw new UsageError("name a command");
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`payterm: ${error.message}\n${USAGE}`);
      return 2;
    }
    console.error(`payterm: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => {
    if (code >= 0) process.exit(code);
  });
}
