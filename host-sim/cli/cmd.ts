/**
 * payterm cmd: send a command to a device and print its result.
 *
 *   payterm cmd --device soundbox-1 config lateMin=10 lang=en-in
 *   payterm cmd --device soundbox-1 summary
 *   payterm cmd --device soundbox-1 rotate-key [grace=SECONDS]   a fresh random key; the registry
 *                                                                 switches to it when the device says ok
 *   payterm cmd --device soundbox-1 retire-key kid=k1
 *
 * Arguments are NAME=VALUE: integers, true, false and null are read as such, anything else is
 * text; --json '{"name": value}' gives arguments the NAME=VALUE form cannot. Exit code 0 when the
 * device answers ok, 1 when it refuses or no answer comes before the command expires, 2 for usage.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { CborPlain } from "../service/cbor";
import { COMMAND_NAME } from "../../firmware/commands/command";
import { KEY_ID } from "../../firmware/payments/keyring";
import { Registry } from "../registry";
import { PaymentService, type CommandResult } from "../service/payment-service";
import { integerArg, parseWithPositionals, UsageError } from "./args";
import type { Command } from "./command";
import { DEFAULT_STATE_DIR, runningBrokerUrl } from "./state-dir";

type Args = { [key: string]: CborPlain };

/** NAME=VALUE words to command arguments. */
export function parseCommandArgs(words: string[], json: string | undefined): Args {
  const args: Args = {};
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      throw new UsageError(`--json is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new UsageError("--json must be a JSON object of arguments");
    for (const [name, value] of Object.entries(parsed)) {
      if (typeof value === "number" && !Number.isSafeInteger(value)) throw new UsageError(`--json ${name}: only whole numbers travel in commands`);
      args[name] = value as CborPlain;
    }
  }
  for (const word of words) {
    const equals = word.indexOf("=");
    if (equals <= 0) throw new UsageError(`arguments are NAME=VALUE, got ${JSON.stringify(word)}`);
    const name = word.slice(0, equals);
    const text = word.slice(equals + 1);
    if (Object.prototype.hasOwnProperty.call(args, name)) throw new UsageError(`argument ${name} given twice`);
    if (/^-?\d{1,15}$/.test(text)) args[name] = Number(text);
    else if (text === "true" || text === "false") args[name] = text === "true";
    else if (text === "null") args[name] = null;
    else args[name] = text;
  }
  return args;
}

/** k1 -> k2, key7 -> key8; anything else gets a fresh short id. */
export function nextKeyId(current: string): string {
  const match = /^(.*?)(\d+)$/.exec(current);
  const next = match ? `${match[1]}${Number(match[2]) + 1}` : `k${randomBytes(3).toString("hex")}`;
  return KEY_ID.test(next) ? next : `k${randomBytes(3).toString("hex")}`;
}

function show(result: CommandResult): string {
  return JSON.stringify(result, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString("hex") : value));
}

export const cmdCommand: Command = {
  name: "cmd",
  usage: ["payterm cmd --device ID NAME [ARG=VALUE...] [--json ARGS] [--broker URL] [--state DIR] [--timeout SECONDS]"],
  async run(argv) {
    const { values: o, positionals } = parseWithPositionals(argv, {
      device: { type: "string" },
      json: { type: "string" },
      broker: { type: "string" },
      state: { type: "string" },
      timeout: { type: "string", default: "30" },
    });
    if (!o.device) throw new UsageError("--device is required");
    const [name, ...words] = positionals;
    if (!name) throw new UsageError("a command name is required (config, rotate-key, retire-key, replay, summary...)");
    if (!COMMAND_NAME.test(name)) throw new UsageError(`command names are ${COMMAND_NAME.source}, got ${JSON.stringify(name)}`);
    const timeout = integerArg(o.timeout, "--timeout (seconds)", 1, 86_400) as number;
    const args = parseCommandArgs(words, o.json);
    const stateDir = o.state ?? DEFAULT_STATE_DIR;
    const brokerUrl = o.broker ?? runningBrokerUrl(stateDir);
    const registry = new Registry(stateDir);
    const current = registry.keyFor(o.device);
    if (!current) throw new UsageError(`device ${o.device} is not in ${registry.path}`);

    const service = await PaymentService.connect(brokerUrl, (id) => registry.keyFor(id), { clientId: `payterm-cli-${randomUUID().slice(0, 8)}`, clean: true });
    try {
      const expiresInMs = timeout * 1000;
      let result: CommandResult;
      if (name === "rotate-key") {
        const { grace, ...rest } = args;
        if (Object.keys(rest).length > 0) throw new UsageError(`rotate-key takes only grace=SECONDS here (the CLI makes the key), got ${Object.keys(rest).join(", ")}`);
        if (grace !== undefined && typeof grace !== "number") throw new UsageError("grace must be a number of seconds");
        const next = { keyId: nextKeyId(current.keyId), key: new Uint8Array(randomBytes(32)) };
        result = await service.rotateKey(o.device, next, { expiresInMs, ...(grace === undefined ? {} : { graceSeconds: grace }) });
        if (result.status === "ok") {
          registry.setKey(o.device, next);
          console.error(`registry: ${o.device} now signs with ${next.keyId} (${registry.path})`);
        }
      } else {
        result = await service.command(o.device, name, args, { expiresInMs });
      }
      console.log(show(result));
      return result.status === "ok" ? 0 : 1;
    } finally {
      await service.close();
    }
  },
};
