/**
 * The `selftest` command (firmware/commands/README.md): enters the self-test remotely.
 *
 *   selftest {}   returns {started: true}; the report follows on pt/v1/{id}/selftest, and the
 *                 device restarts a minute after it (at once when a button is pressed)
 */
import { refuse } from "../commands/args";
import type { CommandDispatcher } from "../commands/dispatcher";
import type { SelfTest } from "./selftest";

export function registerSelfTestCommand(commands: CommandDispatcher, selftest: SelfTest): void {
  commands.register("selftest", ({ args }) => {
    args.done();
    if (!selftest.start("command")) refuse("a self-test is already running");
    return { started: true };
  });
}
