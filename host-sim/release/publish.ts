/**
 * Rolling a release out to devices: the `update` command to each (authenticated with the
 * device's key, through the payment service's command channel), then serving their chunk
 * requests until each one reports how it ended.
 */
import { randomUUID } from "node:crypto";
import type { BrokerAuth } from "../broker-auth";
import { PaymentService } from "../service/payment-service";
import type { DeviceKey } from "../service/confirmation";
import { ReleaseServer, type DeviceUpdateState, type ReleaseServerOptions } from "./server";
import type { SignedRelease } from "./sign";

export type Outcome = "updated" | "refused" | "failed" | "rolled-back" | "timeout";

export interface DeviceOutcome {
  deviceId: string;
  outcome: Outcome;
  /** The reason code (the update's, or the command's), when not updated. */
  reason?: string;
  detail?: string;
  /** The firmware the device reported last. */
  firmware?: string;
}

export interface PublishOptions {
  brokerUrl: string;
  /** The operator's broker credentials (provisioning's release account, broker/release.json). */
  auth?: BrokerAuth;
  release: SignedRelease;
  devices: readonly string[];
  keyFor: (deviceId: string) => DeviceKey | undefined;
  /** How long each device has, from the command to its outcome. */
  timeoutMs: number;
  /** Every state a device reports while the release is out. */
  onState?: (state: DeviceUpdateState) => void;
  server?: ReleaseServerOptions;
}

/** How each final stage of upd/state reads as an outcome. */
const FINAL = new Map<string, Outcome>([
  ["confirmed", "updated"],
  ["installed", "updated"],
  ["failed", "failed"],
  ["rolled-back", "rolled-back"],
  ["refused", "refused"],
]);

/** Serves the release while `run` runs; for callers that send the offers themselves. */
export async function withReleaseServer<T>(brokerUrl: string, release: SignedRelease, options: ReleaseServerOptions, run: (server: ReleaseServer) => Promise<T>): Promise<T> {
  const server = await ReleaseServer.connect(brokerUrl, options);
  server.add(release);
  try {
    return await run(server);
  } finally {
    await server.close();
  }
}

/**
 * One connection carries both the commands and the release server, so an account the broker
 * allows one client id at a time can publish (ReleaseServer.attach). Rejects with
 * BrokerConnectError when the broker will not have the credentials.
 */
export async function publishRelease(options: PublishOptions): Promise<DeviceOutcome[]> {
  const { release } = options;
  const releaseId = release.manifest.releaseId;
  const service = await PaymentService.connect(options.brokerUrl, options.keyFor, {
    clientId: `payterm-release-${randomUUID().slice(0, 8)}`,
    clean: true,
    acks: false,
    ...options.auth,
  });
  try {
    const server = await ReleaseServer.attach(service.client, options.server ?? {});
    server.add(release);
    const stop = options.onState ? server.onState((state) => state.releaseId === releaseId && options.onState?.(state)) : undefined;
    try {
      return await Promise.all(options.devices.map((deviceId) => rollOut(service, server, deviceId, options)));
    } finally {
      stop?.();
      await server.close();
    }
  } finally {
    await service.close();
  }
}

async function rollOut(service: PaymentService, server: ReleaseServer, deviceId: string, options: PublishOptions): Promise<DeviceOutcome> {
  const { manifest } = options.release;
  const deadline = Date.now() + options.timeoutMs;
  const since = server.mark();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DeviceOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ deviceId, outcome: "timeout", detail: `no outcome within ${options.timeoutMs} ms`, firmware: server.state(deviceId)?.firmware }), options.timeoutMs);
  });
  const outcome = (async (): Promise<DeviceOutcome> => {
    if (!options.keyFor(deviceId)) return { deviceId, outcome: "refused", reason: "unknown_device", detail: "no key for this device in the registry" };
    const result = await service.command(deviceId, "update", { m: manifest.signed }, { expiresInMs: options.timeoutMs });
    if (result.status !== "ok") return { deviceId, outcome: "refused", reason: result.reason, detail: result.detail };
    const state = await server.waitFor(deviceId, (s) => s.releaseId === manifest.releaseId && FINAL.has(s.stage), Math.max(1, deadline - Date.now()), since);
    return { deviceId, outcome: FINAL.get(state.stage) as Outcome, reason: state.reason, detail: state.detail, firmware: state.firmware };
  })().catch((error: Error): DeviceOutcome => ({ deviceId, outcome: "timeout", detail: error.message, firmware: server.state(deviceId)?.firmware }));
  try {
    return await Promise.race([outcome, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
