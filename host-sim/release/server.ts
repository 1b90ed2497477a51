/**
 * The release server: answers devices' update requests over MQTT from the releases it holds, and
 * follows their retained update state (docs/protocol.md, "Updates").
 *
 *   pt/v1/+/upd/get    {v, rel, bh: true} | {v, rel, off, n}   requests, QoS 0
 *   pt/v1/{id}/upd/data {v, rel, bh} | {v, rel, off, d} | {v, rel, err}   answers, QoS 0
 *   pt/v1/+/upd/state  retained progress and outcome, QoS 1
 *
 * It keeps no per-device state for serving: each request says what the device lacks, so any
 * number of devices, cut off and coming back at any byte, are served alike.
 */
import mqtt, { type MqttClient } from "mqtt";
import { isValidDeviceId, PROTOCOL_PREFIX } from "../../firmware/protocol/topics";
import { decodeUpdateState, type UpdateStateSeen } from "../../firmware/update/messages";
import { brokerAuthOptions, BrokerConnectError, type BrokerAuth } from "../broker-auth";
import { decodeProtocolCbor, encodeProtocolCbor, type CborPlain } from "../service/cbor";
import type { SignedRelease } from "./sign";

/** Credentials (BrokerAuth) are for `connect`; an attached server uses its client's connection. */
export interface ReleaseServerOptions extends BrokerAuth {
  clientId?: string;
  /** Most chunks sent for one request; a device asking for more gets this many. */
  maxWindow?: number;
  /**
   * For drills: the bytes to send for a chunk (changed, to corrupt it), or undefined to drop it.
   */
  chunkFilter?: (deviceId: string, offset: number, data: Uint8Array) => Uint8Array | undefined;
}

/** A device's retained upd/state, decoded. */
export type DeviceUpdateState = UpdateStateSeen & { deviceId: string };

export interface ServedCounters {
  requests: number;
  chunks: number;
  bytes: number;
  /** Requests that were malformed or out of range. */
  refused: number;
}

const RELEASE_ID = /^[0-9a-f]{16}$/;
const SUBSCRIPTIONS = { [`${PROTOCOL_PREFIX}/+/upd/get`]: { qos: 0 as const }, [`${PROTOCOL_PREFIX}/+/upd/state`]: { qos: 1 as const } };
const DEFAULT_MAX_WINDOW = 16;

export class ReleaseServer {
  readonly served: ServedCounters = { requests: 0, chunks: 0, bytes: 0, refused: 0 };
  readonly #releases = new Map<string, SignedRelease>();
  readonly #states = new Map<string, DeviceUpdateState>();
  readonly #listeners = new Set<(state: DeviceUpdateState) => void>();
  /** Counts states received, so a wait can ignore what was retained before it began. */
  #received = 0;
  readonly #receivedAt = new Map<string, number>();

  readonly #onMessage = (topic: string, payload: Buffer) => this.#message(topic, new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));

  private constructor(
    private readonly client: MqttClient,
    private readonly options: ReleaseServerOptions,
    /** The server made the connection, so closing the server closes it. */
    private readonly owned: boolean,
  ) {}

  /** A connection of its own; rejects with BrokerConnectError when the broker will not have it. */
  static async connect(brokerUrl: string, options: ReleaseServerOptions = {}): Promise<ReleaseServer> {
    const client = mqtt.connect(brokerUrl, {
      clientId: options.clientId ?? `payterm-release-${process.pid}-${Date.now().toString(36)}`,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      ...brokerAuthOptions(options),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once("connect", () => resolve());
        client.once("error", reject);
      });
    } catch (error) {
      client.end(true);
      throw new BrokerConnectError(brokerUrl, error as Error);
    }
    (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    return ReleaseServer.#serve(client, options, true);
  }

  /**
   * Serves on a connected client of the caller's. A broker that gives an account one client id
   * (mosquitto's use_username_as_clientid, client certificates as usernames) drops the older of
   * two connections with the same credentials, so a tool that also sends commands shares one.
   */
  static attach(client: MqttClient, options: ReleaseServerOptions = {}): Promise<ReleaseServer> {
    return ReleaseServer.#serve(client, options, false);
  }

  static async #serve(client: MqttClient, options: ReleaseServerOptions, owned: boolean): Promise<ReleaseServer> {
    const server = new ReleaseServer(client, options, owned);
    client.on("message", server.#onMessage);
    try {
      await client.subscribeAsync(SUBSCRIPTIONS);
    } catch (error) {
      client.off("message", server.#onMessage);
      if (owned) client.end(true);
      throw error;
    }
    return server;
  }

  add(release: SignedRelease): void {
    this.#releases.set(release.manifest.releaseId, release);
  }

  state(deviceId: string): DeviceUpdateState | undefined {
    return this.#states.get(deviceId);
  }

  onState(listener: (state: DeviceUpdateState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A point in the stream of received states, for `waitFor(..., since)`. */
  mark(): number {
    return this.#received;
  }

  /**
   * Resolves with the first state of `deviceId` that matches, the current one included when it
   * arrived after `since` (a `mark()`); retained states from an earlier attempt do not count.
   */
  waitFor(deviceId: string, predicate: (state: DeviceUpdateState) => boolean, timeoutMs: number, since = -1): Promise<DeviceUpdateState> {
    const current = this.#states.get(deviceId);
    if (current && (this.#receivedAt.get(deviceId) ?? -1) > since && predicate(current)) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`${deviceId}: no matching update state within ${timeoutMs} ms (last: ${JSON.stringify(this.#states.get(deviceId) ?? null)})`));
      }, timeoutMs);
      const stop = this.onState((state) => {
        if (state.deviceId !== deviceId || !predicate(state)) return;
        clearTimeout(timer);
        stop();
        resolve(state);
      });
    });
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.client.off("message", this.#onMessage);
    if (this.owned) await this.client.endAsync();
    else if (this.client.connected) await this.client.unsubscribeAsync(Object.keys(SUBSCRIPTIONS));
  }

  #message(topic: string, payload: Uint8Array): void {
    const levels = topic.split("/");
    const deviceId = levels[2];
    if (levels.length !== 5 || levels[3] !== "upd" || !isValidDeviceId(deviceId)) return;
    if (levels[4] === "get") this.#request(deviceId, payload);
    else if (levels[4] === "state") this.#state(deviceId, payload);
  }

  #request(deviceId: string, payload: Uint8Array): void {
    this.served.requests++;
    let request: Record<string, unknown>;
    try {
      request = decodeProtocolCbor(payload) as Record<string, unknown>;
    } catch {
      this.served.refused++;
      return;
    }
    const rel = request?.rel;
    if (request?.v !== 1 || typeof rel !== "string" || !RELEASE_ID.test(rel)) {
      this.served.refused++;
      return;
    }
    const reply = `${PROTOCOL_PREFIX}/${deviceId}/upd/data`;
    const send = (message: { [key: string]: CborPlain }) => this.client.publish(reply, Buffer.from(encodeProtocolCbor(message)), { qos: 0 });
    const release = this.#releases.get(rel);
    if (!release) {
      send({ v: 1, rel, err: "unknown_release" });
      return;
    }
    if (request.bh === true) {
      send({ v: 1, rel, bh: release.table });
      return;
    }
    const { chunkSize, size } = release.manifest;
    const { off, n } = request;
    if (typeof off !== "number" || !Number.isInteger(off) || off < 0 || off >= size || off % chunkSize !== 0 || typeof n !== "number" || !Number.isInteger(n) || n < 1) {
      this.served.refused++;
      return;
    }
    const count = Math.min(n, this.options.maxWindow ?? DEFAULT_MAX_WINDOW);
    for (let i = 0, offset = off; i < count && offset < size; i++, offset += chunkSize) {
      const chunk = release.image.subarray(offset, Math.min(offset + chunkSize, size));
      const data = this.options.chunkFilter ? this.options.chunkFilter(deviceId, offset, chunk.slice()) : chunk;
      if (!data) continue;
      send({ v: 1, rel, off: offset, d: data });
      this.served.chunks++;
      this.served.bytes += data.length;
    }
  }

  #state(deviceId: string, payload: Uint8Array): void {
    const seen = decodeUpdateState(payload);
    if (!seen) return;
    const state: DeviceUpdateState = { deviceId, ...seen };
    this.#states.set(deviceId, state);
    this.#receivedAt.set(deviceId, ++this.#received);
    for (const listener of this.#listeners) listener(state);
  }
}
