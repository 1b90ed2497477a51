/**
 * The `update` command (firmware/commands/README.md): the trigger for an update.
 *
 *   update {m: bstr}   m is the signed manifest (docs/protocol.md, "Updates"); returns {rel},
 *                      the release id the device will ask the release server for
 *
 * The command only starts the work: progress and the outcome are on upd/state. A release the
 * device must not take is refused with `update_refused` and the update's own reason in `msg`.
 */
import { refuse } from "../commands/args";
import type { CommandDispatcher } from "../commands/dispatcher";
import { Reason } from "../payments/reasons";
import type { UpdateAgent } from "./agent";

export function registerUpdateCommand(commands: CommandDispatcher, updates: UpdateAgent): void {
  commands.register("update", ({ args }) => {
    const signed = args.value("m");
    if (!(signed instanceof Uint8Array)) refuse('argument "m" must be the signed manifest, a byte string');
    args.done();
    const result = updates.offer(signed);
    if (!result.accepted) refuse(`${result.reason}: ${result.detail}`, Reason.updateRefused);
    return { rel: result.releaseId };
  });
}
