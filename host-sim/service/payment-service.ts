/**
 * The payment service's device-facing side: publishes signed confirmations at QoS 1 and follows
 * each transaction to the device's ack. Plain MQTT 3.1.1 only, so it runs against aedes,
 * mosquitto or a clustered broker alike.
 */
import { randomUUID } from "node:crypto";
import mqtt, { type MqttClient } from "mqtt";
import { deviceTopics, PROTOCOL_PREFIX } from "../../firmware/protocol/topics";
import { decodeProtocolCbor } from "./cbor";
import { signConfirmation, type ConfirmationFields, type DeviceKey } from "./confirmation";

export type DeliveryState = "published" | "announced" | "duplicate" | "rejected";

export interface DeviceAck {
  deviceId: string;
  status: "announced" | "duplicate" | "rejected";
  transactionId?: string;
  reason?: string;
  sequence?: number;
  at: number;
}

export interface PaymentRequest {
  deviceId: string;
  amountMinor: number;
  currency: string;
  provider: string;
  transactionId?: string;
  expiresInMs?: number;
}

interface Tracked {
  state: DeliveryState;
  ack?: DeviceAck;
  waiters: ((ack: DeviceAck) => void)[];
}

export function parseAck(deviceId: string, payload: Uint8Array): DeviceAck | undefined {
  let value: unknown;
  try {
    value = decodeProtocolCbor(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (m.v !== 1 || (m.st !== "announced" && m.st !== "duplicate" && m.st !== "rejected") || typeof m.at !== "number") return undefined;
  return {
    deviceId,
    status: m.st,
    transactionId: typeof m.txn === "string" ? m.txn : undefined,
    reason: typeof m.rc === "string" ? m.rc : undefined,
    sequence: typeof m.seq === "number" ? m.seq : undefined,
    at: m.at,
  };
}

export class PaymentService {
  readonly #tracked = new Map<string, Tracked>();
  readonly #ackListeners = new Set<(ack: DeviceAck) => void>();

  private constructor(
    readonly client: MqttClient,
    private readonly keyFor: (deviceId: string) => DeviceKey | undefined,
  ) {
    client.on("message", (topic, payload) => {
      const parts = topic.split("/");
      if (parts.length !== 4 || parts[3] !== "ack") return;
      const ack = parseAck(parts[2], new Uint8Array(payload));
      if (ack) this.#onAck(ack);
    });
  }

  static async connect(brokerUrl: string, keyFor: (deviceId: string) => DeviceKey | undefined, clientId = `payment-service-${randomUUID().slice(0, 8)}`): Promise<PaymentService> {
    const client = await mqtt.connectAsync(brokerUrl, { clientId, clean: true, protocolVersion: 4, reconnectPeriod: 1000 });
    await client.subscribeAsync(`${PROTOCOL_PREFIX}/+/ack`, { qos: 1 });
    return new PaymentService(client, keyFor);
  }

  onAck(listener: (ack: DeviceAck) => void): () => void {
    this.#ackListeners.add(listener);
    return () => this.#ackListeners.delete(listener);
  }

  state(transactionId: string): DeliveryState | undefined {
    return this.#tracked.get(transactionId)?.state;
  }

  /** Publishes a signed confirmation; resolves with its transaction id once the broker has it. */
  async publish(request: PaymentRequest): Promise<ConfirmationFields> {
    const key = this.keyFor(request.deviceId);
    if (!key) throw new Error(`no key registered for device ${request.deviceId}`);
    const now = Date.now();
    const fields: ConfirmationFields = {
      transactionId: request.transactionId ?? `T${now.toString(36)}${randomUUID().slice(0, 6)}`.toUpperCase(),
      deviceId: request.deviceId,
      amountMinor: request.amountMinor,
      currency: request.currency,
      provider: request.provider,
      confirmedAt: now,
      ...(request.expiresInMs === undefined ? {} : { expiresAt: now + request.expiresInMs }),
    };
    if (!this.#tracked.has(fields.transactionId)) this.#tracked.set(fields.transactionId, { state: "published", waiters: [] });
    await this.publishRaw(request.deviceId, signConfirmation(fields, key));
    return fields;
  }

  /** Sends bytes as they are to a device's payment topic (for replays and bad-input tests). */
  async publishRaw(deviceId: string, payload: Uint8Array): Promise<void> {
    await this.client.publishAsync(deviceTopics(deviceId).payments, Buffer.from(payload), { qos: 1 });
  }

  /** Resolves with the device's ack for the transaction. */
  waitForAck(transactionId: string, timeoutMs = 10_000): Promise<DeviceAck> {
    let tracked = this.#tracked.get(transactionId);
    if (!tracked) this.#tracked.set(transactionId, (tracked = { state: "published", waiters: [] }));
    if (tracked.ack) return Promise.resolve(tracked.ack);
    const entry = tracked;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for ${transactionId} within ${timeoutMs} ms`)), timeoutMs);
      entry.waiters.push((ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }

  #onAck(ack: DeviceAck): void {
    for (const listener of this.#ackListeners) listener(ack);
    if (!ack.transactionId) return;
    let tracked = this.#tracked.get(ack.transactionId);
    if (!tracked) this.#tracked.set(ack.transactionId, (tracked = { state: ack.status, waiters: [] }));
    // The first ack decides; a later "duplicate" (a redelivery) does not undo "announced".
    if (!tracked.ack) {
      tracked.ack = ack;
      tracked.state = ack.status;
    }
    const waiters = tracked.waiters.splice(0);
    for (const waiter of waiters) waiter(tracked.ack);
  }
}
