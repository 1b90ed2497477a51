import { randomUUID } from "node:crypto";
import { Registry } from "../registry";
import { PaymentService } from "../service/payment-service";
import { amountArg, currencyArg, parseFlags, UsageError } from "./args";
import type { Command } from "./command";
import { DEFAULT_STATE_DIR, runningBrokerUrl } from "./state-dir";

export const payCommand: Command = {
  name: "pay",
  usage: ["payterm pay --device ID --amount DECIMAL --currency ISO4217 --provider NAME [--broker URL] [--state DIR] [--no-wait]"],
  async run(args) {
    const o = parseFlags(args, {
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
    const currency = currencyArg(o.currency);
    const amountMinor = amountArg(o.amount, currency);
    const stateDir = o.state ?? DEFAULT_STATE_DIR;
    const brokerUrl = o.broker ?? runningBrokerUrl(stateDir);
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
  },
};
