/**
 * payterm: the simulator's command line.
 *   payterm start [--broker URL] [--broker-port N] [--web-port N] [--state DIR] [--lang CODE]
 *   payterm pay --device ID --amount 250.00 --currency INR --provider UPI [--broker URL] [--state DIR] [--no-wait]
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { currencyInfo, parseAmount } from "../firmware/money";
import { buildVoicePacks } from "../scripts/build-voice";
import { projectRoot } from "./paths";
import { Registry } from "./registry";
import { PaymentService } from "./service/payment-service";
import { Simulator } from "./simulator";
import { startWebServer } from "./web-server";

const DEFAULT_STATE = join(projectRoot, "build", "sim");

export class UsageError extends Error {}

const USAGE = `usage:
  payterm start [--broker URL] [--broker-port N] [--web-port N] [--state DIR] [--lang CODE]
  payterm pay --device ID --amount DECIMAL --currency ISO4217 --provider NAME [--broker URL] [--state DIR] [--no-wait]`;

function parse<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function port(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${name} must be a port number 0-65535, got ${JSON.stringify(value)}`);
  return n;
}

async function start(args: string[]): Promise<void> {
  const o = parse(args, {
    broker: { type: "string" },
    "broker-port": { type: "string" },
    "web-port": { type: "string" },
    state: { type: "string" },
    lang: { type: "string" },
  });
  try {
    buildVoicePacks((line) => console.log(line));
  } catch (error) {
    console.warn(`voice packs not built (${(error as Error).message}); announcements are logged as clip lists only`);
  }
  const simulator = await Simulator.start({
    stateDir: o.state ?? DEFAULT_STATE,
    brokerUrl: o.broker,
    brokerPort: port(o["broker-port"], "broker-port"),
    language: o.lang,
  });
  for (const device of simulator.devices.values())
    device.log.listen((e) => {
      if (e.level !== "debug") console.log(`${new Date(e.at).toISOString()} ${e.device} ${e.name} ${JSON.stringify(e.fields)}`);
    });
  const web = await startWebServer(simulator, port(o["web-port"], "web-port") ?? 8080).catch(() => startWebServer(simulator, 0));
  console.log(`broker   ${simulator.brokerUrl}${simulator.broker ? " (embedded)" : ""}`);
  console.log(`web UI   ${web.url}`);
  console.log(`devices  ${[...simulator.devices.keys()].join(", ")}`);
  console.log(`try      npm run payterm -- pay --device soundbox-1 --amount 250.00 --currency INR --provider UPI`);
  const shutdown = async () => {
    await web.close();
    await simulator.stop();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

async function pay(args: string[]): Promise<number> {
  const o = parse(args, {
    device: { type: "string" },
    amount: { type: "string" },
    currency: { type: "string", default: "INR" },
    provider: { type: "string", default: "UPI" },
    broker: { type: "string" },
    state: { type: "string" },
    "no-wait": { type: "boolean", default: false },
  });
  if (!o.device) throw new UsageError("--device is required");
  if (!o.amount) throw new UsageError("--amount is required");
  const currency = currencyInfo(o.currency);
  if (!currency) throw new UsageError(`--currency ${o.currency} is not a supported ISO 4217 code`);
  const amountMinor = parseAmount(o.amount, currency.exponent);
  if (amountMinor === undefined || amountMinor === 0)
    throw new UsageError(`--amount must be a positive decimal with at most ${currency.exponent} decimals and no separators, got ${JSON.stringify(o.amount)}`);
  const stateDir = o.state ?? DEFAULT_STATE;
  let brokerUrl = o.broker;
  if (!brokerUrl) {
    const info = join(stateDir, "broker.json");
    if (!existsSync(info)) throw new UsageError(`no running simulator found (${info} is missing); start one with npm start or pass --broker URL`);
    brokerUrl = (JSON.parse(readFileSync(info, "utf8")) as { url: string }).url;
  }
  const registry = new Registry(stateDir);
  if (!registry.get(o.device)) throw new UsageError(`device ${o.device} is not in ${registry.path}`);
  // A one-shot client: its own id (the simulator's service holds the stable one) and no session to leave behind.
  const service = await PaymentService.connect(brokerUrl, (id) => registry.keyFor(id), { clientId: `payterm-cli-${randomUUID().slice(0, 8)}`, clean: true });
  try {
    const fields = await service.publish({ deviceId: o.device, amountMinor, currency: currency.code, provider: o.provider });
    console.log(`published ${fields.transactionId} to ${o.device} via ${brokerUrl}`);
    if (o["no-wait"]) return 0;
    const ack = await service.waitForAck(fields.transactionId);
    console.log(JSON.stringify(ack));
    return ack.status === "rejected" ? 1 : 0;
  } finally {
    await service.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "start") {
      await start(rest);
      return -1;
    }
    if (command === "pay") return await pay(rest);
    if (command === "help" || command === "--help" || command === undefined) {
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
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
