/**
 * The payment service's device-facing side: publishes signed confirmations at QoS 1 and follows
 * each transaction to the device's ack, republishing the same bytes until an ack arrives or the
 * confirmation expires (delivery.ts). Plain MQTT 3.1.1 only, so it runs against aedes, mosquitto or
 * a clustered broker alike. Its own session is persistent (clean = false, a stable client id), so
 * acks that devices send while the service is away wait for it at the broker.
 */
import { randomUUID } from "node:crypto";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { deviceTopics, PROTOCOL_PREFIX } from "../../firmware/protocol/topics";
import { brokerAuthOptions, BrokerConnectError, type BrokerAuth } from "../broker-auth";
import { decodeDeviceMap, type CborPlain } from "./cbor";
import { parseCommandResult, signCommand, wrapKey, type CommandFields, type CommandResult } from "./command";
import { CommandTracker, type CommandPolicy } from "./command-tracker";
import { signConfirmation, type ConfirmationFields, type DeviceKey } from "./confirmation";
import { DeliveryStore, type StoredDelivery } from "./delivery-store";
import { DeliveryTracker, type DeliveryPolicy, type DeliveryReport, type DeliveryState, type DeliveryStats, type DeviceAck } from "./delivery";

export type { DeliveryPolicy, DeliveryReport, DeliveryState, DeliveryStats, DeviceAck } from "./delivery";
export type { CommandResult } from "./command";

/** How long a command stays valid unless the caller says otherwise. */
export const DEFAULT_COMMAND_EXPIRY_MS = 60_000;

export interface CommandOptions {
  /** Defaults to a fresh unique id. */
  id?: string;
  /** Defaults to DEFAULT_COMMAND_EXPIRY_MS; the device refuses more than 24 hours. */
  expiresInMs?: number;
}

/** The client id of the simulator's service; one-shot tools (the CLI) use their own. */
export const SERVICE_CLIENT_ID = "payterm-payment-service";

export interface PaymentRequest {
  deviceId: string;
  amountMinor: number;
  currency: string;
  provider: string;
  transactionId?: string;
  /** Defaults to the delivery policy's defaultExpiresInMs. */
  expiresInMs?: number;
  /** The charge this payment settles (a QR display's charge reference). */
  reference?: string;
}

/**
 * Broker credentials (BrokerAuth) are e.g. the service account `payterm provision` made
 * (broker/service.json); for mqtts:// brokers, the trust anchors and the service's own certificate.
 */
export interface PaymentServiceOptions extends BrokerAuth {
  /** Stable across restarts, so the broker keeps the session; SERVICE_CLIENT_ID unless given. */
  clientId?: string;
  /** false (the default) keeps the session at the broker while the service is away. */
  clean?: boolean;
  /**
   * false: follow command results only, not payment acks, for a tool that sends commands and no
   * payments (the release publisher) on an account the broker does not let read acks.
   */
  acks?: boolean;
  reconnectPeriodMs?: number;
  /** false: mqtt.js logs nothing, even under DEBUG=mqttjs* (fleet mode, where it costs CPU). */
  debugLog?: boolean;
  /**
   * Where the delivery state is kept across restarts (deliveries.json, see delivery-store.ts).
   * One service per directory: two processes sharing it would overwrite each other's state.
   */
  stateDir?: string;
  delivery?: Partial<DeliveryPolicy>;
  commands?: Partial<CommandPolicy>;
}

export function parseAck(deviceId: string, payload: Uint8Array): DeviceAck | undefined {
  const m = decodeDeviceMap(payload);
  if (!m || m.v !== 1 || (m.st !== "announced" && m.st !== "duplicate" && m.st !== "rejected") || typeof m.at !== "number") return undefined;
  return {
    deviceId,
    status: m.st,
    transactionId: typeof m.txn === "string" ? m.txn : undefined,
    reason: typeof m.rc === "string" ? m.rc : undefined,
    sequence: typeof m.seq === "number" ? m.seq : undefined,
    at: m.at,
  };
}

function newCommandId(): string {
  return `C${Date.now().toString(36)}${randomUUID().slice(0, 8)}`.toUpperCase();
}

export class PaymentService {
  readonly #ackListeners = new Set<(ack: DeviceAck) => void>();
  readonly #delivery: DeliveryTracker;
  readonly #commands: CommandTracker;

  private constructor(
    readonly client: MqttClient,
    private readonly keyFor: (deviceId: string) => DeviceKey | undefined,
    o: PaymentServiceOptions,
    store: DeliveryStore | undefined,
    restored: StoredDelivery[],
  ) {
    this.#delivery = new DeliveryTracker(
      {
        send: (deviceId, payload) => this.publishRaw(deviceId, payload),
        get connected() {
          return client.connected;
        },
      },
      o.delivery ?? {},
      Date.now,
      store,
      restored,
    );
    this.#commands = new CommandTracker(
      {
        send: async (deviceId, payload) => {
          await client.publishAsync(deviceTopics(deviceId).commands, Buffer.from(payload), { qos: 1 });
        },
        get connected() {
          return client.connected;
        },
      },
      o.commands ?? {},
    );
    client.on("message", (topic, payload) => {
      const parts = topic.split("/");
      if (parts.length !== 4) return;
      if (parts[3] === "ack") {
        const ack = parseAck(parts[2], new Uint8Array(payload));
        if (ack) this.#onAck(ack);
      } else if (parts[3] === "cmdack") {
        const result = parseCommandResult(parts[2], new Uint8Array(payload));
        if (result) this.#commands.resulted(result);
      }
    });
    client.on("connect", () => {
      // Small MQTT packets must not wait for the previous segment's TCP ACK (Nagle and delayed
      // ACK together add 40 ms to a publish that follows a PUBACK).
      (client.stream as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
      this.#delivery.reconnected();
      this.#commands.reconnected();
    });
  }

  /** `options` may be a client id, as before. */
  static async connect(brokerUrl: string, keyFor: (deviceId: string) => DeviceKey | undefined, options: string | PaymentServiceOptions = {}): Promise<PaymentService> {
    const o: PaymentServiceOptions = typeof options === "string" ? { clientId: options } : options;
    const clientOptions: IClientOptions = {
      clientId: o.clientId ?? SERVICE_CLIENT_ID,
      clean: o.clean ?? false,
      protocolVersion: 4,
      reconnectPeriod: o.reconnectPeriodMs ?? 1000,
      connectTimeout: 10_000,
      ...(o.debugLog === false && { log: () => {} }),
      ...brokerAuthOptions(o),
    };
    // Read first: a damaged state file stops the start with its name, before any connection.
    const store = o.stateDir === undefined ? undefined : new DeliveryStore(o.stateDir);
    const restored = store?.load() ?? [];
    const client = mqtt.connect(brokerUrl, clientOptions);
    // The handlers are in place before CONNACK, so acks the broker kept for this session are not missed.
    const service = new PaymentService(client, keyFor, o, store, restored);
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => {
          client.off("connect", onConnect);
          reject(error);
        };
        const onConnect = () => {
          client.off("error", onError);
          resolve();
        };
        client.once("connect", onConnect);
        client.once("error", onError);
      });
    } catch (error) {
      await service.#abandon();
      throw new BrokerConnectError(brokerUrl, error as Error);
    }
    try {
      const topics = o.acks === false ? [`${PROTOCOL_PREFIX}/+/cmdack`] : [`${PROTOCOL_PREFIX}/+/ack`, `${PROTOCOL_PREFIX}/+/cmdack`];
      await client.subscribeAsync(topics, { qos: 1 });
    } catch (error) {
      await service.#abandon();
      throw error;
    }
    return service;
  }

  async #abandon(): Promise<void> {
    this.#delivery.close();
    this.#commands.close();
    await this.client.endAsync(true);
  }

  get policy(): DeliveryPolicy {
    return this.#delivery.policy;
  }

  onAck(listener: (ack: DeviceAck) => void): () => void {
    this.#ackListeners.add(listener);
    return () => this.#ackListeners.delete(listener);
  }

  /** Called on every delivery state change. */
  onDelivery(listener: (report: DeliveryReport) => void): () => void {
    return this.#delivery.onChange(listener);
  }

  state(transactionId: string): DeliveryState | undefined {
    return this.#delivery.report(transactionId)?.state;
  }

  /** The transaction's delivery: state, attempts and timestamps. */
  delivery(transactionId: string): DeliveryReport | undefined {
    return this.#delivery.report(transactionId);
  }

  deliveries(): DeliveryReport[] {
    return this.#delivery.reports();
  }

  stats(): DeliveryStats {
    return this.#delivery.stats();
  }

  /**
   * Publishes a signed confirmation and keeps republishing it until the device acks or it expires.
   * Resolves with its fields once the broker has the first copy (after waiting for room in the
   * device's window, if it has too many outstanding).
   */
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
      expiresAt: now + (request.expiresInMs ?? this.#delivery.policy.defaultExpiresInMs),
      ...(request.reference === undefined ? {} : { reference: request.reference }),
    };
    await this.#delivery.deliver(fields.transactionId, fields.deviceId, signConfirmation(fields, key), fields.expiresAt as number);
    return fields;
  }

  /** Sends bytes as they are to a device's payment topic, untracked (for replays and bad-input tests). */
  async publishRaw(deviceId: string, payload: Uint8Array): Promise<void> {
    await this.client.publishAsync(deviceTopics(deviceId).payments, Buffer.from(payload), { qos: 1 });
  }

  /** Resolves with the device's ack for the transaction; rejects if it expires first. */
  waitForAck(transactionId: string, timeoutMs = 10_000): Promise<DeviceAck> {
    return this.#delivery.waitForAck(transactionId, timeoutMs);
  }

  /**
   * Sends a signed command to a device and resolves with its result (ok, rejected or duplicate),
   * republishing it until the result arrives; rejects if the command expires first.
   */
  async command(deviceId: string, name: string, args: { [key: string]: CborPlain } = {}, options: CommandOptions = {}): Promise<CommandResult> {
    const key = this.keyFor(deviceId);
    if (!key) throw new Error(`no key registered for device ${deviceId}`);
    const now = Date.now();
    const fields: CommandFields = {
      id: options.id ?? newCommandId(),
      deviceId,
      name,
      args,
      issuedAt: now,
      expiresAt: now + (options.expiresInMs ?? DEFAULT_COMMAND_EXPIRY_MS),
    };
    return this.#commands.run(fields.id, deviceId, signCommand(fields, key), fields.expiresAt);
  }

  /**
   * Installs `next` on the device as its current key (the rotate-key command, signed with the key
   * `keyFor` gives now). On "ok" the caller switches its key store to `next`; the device accepts the
   * old key for `graceSeconds` more (default: the device's, one day), or until retire-key.
   */
  async rotateKey(deviceId: string, next: DeviceKey, options: CommandOptions & { graceSeconds?: number } = {}): Promise<CommandResult> {
    const current = this.keyFor(deviceId);
    if (!current) throw new Error(`no key registered for device ${deviceId}`);
    const id = options.id ?? newCommandId();
    const args: { [key: string]: CborPlain } = { kid: next.keyId, wkey: wrapKey(current, id, next) };
    if (options.graceSeconds !== undefined) args.grace = options.graceSeconds;
    return this.command(deviceId, "rotate-key", args, { ...options, id });
  }

  async close(): Promise<void> {
    this.#delivery.close();
    this.#commands.close();
    await this.client.endAsync();
  }

  #onAck(ack: DeviceAck): void {
    for (const listener of this.#ackListeners) listener(ack);
    this.#delivery.acked(ack);
  }
}
