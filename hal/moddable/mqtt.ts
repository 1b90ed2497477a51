/**
 * MQTT 3.1.1 transport on the ECMA-419 MQTT client that ships with the Moddable SDK
 * (examples/io/tcp/mqttclient, module "embedded:network/mqtt/client"), over
 * "embedded:io/socket/tcp", or "embedded:io/socket/tcp/tls" (examples/io/tcp/tlssocket) when the
 * options ask for TLS, with host names resolved by "embedded:network/dns/resolver/udp".
 * Needs: "embedded:network/mqtt/client", "embedded:io/socket/tcp", "embedded:io/socket/udp",
 * "embedded:io/socket/tcp/tls", "embedded:network/dns/resolver/udp", "timer".
 *
 * What the SDK client does, read from its source (mqttclient.js), and what follows for the HAL:
 * - It sends PUBACK for an inbound QoS 1 message as soon as the message has been parsed, before
 *   `onReadable` runs. `settle` is therefore a no-op here: acknowledgement cannot wait for the
 *   journal. A reset between receipt and journaling loses that message.
 * - It drops the CONNACK session-present flag: `onConnect` always reports `sessionPresent: false`.
 * - It does not pass the PUBLISH retain flag to `onReadable`: inbound `retain` is always false.
 * - It calls `onError()` without a reason, both for a refused CONNECT and for a lost socket, then
 *   closes itself; the reason given to `onDisconnect` is inferred from the state.
 * - `write` throws when the socket's free space is short, so publishes and subscriptions wait in
 *   a small queue here until `onWritable`; publishes also wait there across a reconnect.
 * - It passes SUBACK to `onControl` with the packet id and return codes, so SUBSCRIBE packets
 *   carry ids chosen here and the SUBACK is matched back to its topic for `onSubscribed`. It
 *   passes PUBACK there too, with the id, and takes the id of a PUBLISH from `write`'s options:
 *   QoS 1 publications carry ids from the same counter, and a PUBACK runs its `onPuback`.
 *
 * TLS, read from the SDK's TLS socket (examples/io/tcp/tlssocket) and its session and certificate
 * manager (modules/crypt/ssl): the socket's `secure` dictionary goes to the TLS session as is.
 * `certificate` is one trust anchor, DER; `clientCertificates` an array of DER certificates, of
 * which the first is sent; `clientKey` the matching private key as PKCS#8 DER (the SDK parses it
 * with its pkcs8 module: a SEC1 "EC PRIVATE KEY" will not do); `serverName` the name for SNI and
 * for the subjectAltName check (DNS names and IPv4 addresses), the host by default. Certificate
 * dates are checked against the wall clock, so the clock must be set (sntp) before connecting.
 */
import MQTTClient from "embedded:network/mqtt/client";
import TCP from "embedded:io/socket/tcp";
import UDP from "embedded:io/socket/udp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resolver from "embedded:network/dns/resolver/udp";
import Timer from "timer";
import type { Log } from "../log";
import { pkcs8Key, toDer } from "./tls-material";
import type { MqttConnectOptions, MqttHandlers, MqttTls, MqttTransport, QoS } from "../mqtt";

/**
 * The SDK client's constructor options and callbacks as mqttclient.js implements them. The
 * published typings declare `onControl(opcode, message)`; the client calls `onControl(message)`.
 */
interface ControlMessage {
  operation: number;
  id?: number;
  returnCode?: number;
  /** SUBACK: one return code per topic (0, 1, 2 granted QoS; 0x80 refused). */
  payload?: number[];
}

interface ReadableInfo {
  more: boolean;
  topic?: string;
  QoS?: number;
  byteLength?: number;
}

interface SecureOptions {
  serverName?: string;
  certificate?: ArrayBuffer;
  clientKey?: ArrayBuffer;
  clientCertificates?: ArrayBuffer[];
}

interface ClientOptions {
  host: string;
  port: number;
  id: string;
  clean: boolean;
  /** Milliseconds. */
  keepalive: number;
  user?: string;
  password?: string;
  will?: { topic: string; message: ArrayBuffer; QoS: number; retain: boolean };
  dns: { io: typeof Resolver; servers: string[]; socket: { io: typeof UDP } };
  socket: { io: typeof TCP } | { io: typeof TLSSocket; TCP: { io: typeof TCP }; secure: SecureOptions };
  onReadable(count: number, info: ReadableInfo): void;
  onWritable(count: number): void;
  onControl(message: ControlMessage): void;
  onError(): void;
}

interface WriteOptions {
  operation?: number;
  /** Packet identifier; the client numbers packets itself when absent. */
  id?: number;
  topic?: string;
  QoS?: number;
  retain?: boolean;
  items?: { topic: string; QoS: number }[];
}

interface Client {
  /** Fills `into` with up to its length of the current message's payload. */
  read(into: Uint8Array): unknown;
  /** Returns the bytes still writable; throws when `data` does not fit. */
  write(data: Uint8Array | null, options: WriteOptions): number;
  close(): void;
}

const Client = MQTTClient as unknown as new (options: ClientOptions) => Client;

const Operation = Object.freeze({
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  SUBSCRIBE: 8,
  SUBACK: 9,
  DISCONNECT: 14,
});

type Outbound =
  | { kind: "publish"; topic: string; payload: Uint8Array; qos: QoS; retain: boolean; onPuback: (() => void) | undefined }
  | { kind: "subscribe"; topic: string; qos: QoS };

export interface MqttOptions {
  /** DNS servers for host names; IPv4 literals need none. */
  dnsServers?: string[];
  /** Inbound payloads larger than this are read and dropped. */
  maxInbound?: number;
  /** Outbound items kept while the socket is full or the connection is down. */
  maxQueued?: number;
  log?: Log;
}

export class ModdableMqtt implements MqttTransport {
  readonly #dnsServers: string[];
  readonly #maxInbound: number;
  readonly #maxQueued: number;
  readonly #log: Log | undefined;
  /** Reused to drain payloads too large to keep. */
  readonly #scratch = new Uint8Array(128);

  #client: Client | undefined;
  #handlers: MqttHandlers | undefined;
  #connected = false;
  readonly #queue: Outbound[] = [];
  /** Topics of SUBSCRIBE packets sent and not yet answered, by the packet id given to them. */
  readonly #subscribing = new Map<number, string>();
  /** What to run on the PUBACK of QoS 1 publications sent on this connection, by packet id. */
  readonly #publishing = new Map<number, () => void>();
  #nextPacketId = 1;

  // The inbound message being assembled.
  #topic = "";
  #qos: QoS = 0;
  #payload: Uint8Array | undefined;
  #received = 0;
  #dropping = false;

  constructor(options: MqttOptions = {}) {
    this.#dnsServers = options.dnsServers ?? ["1.1.1.1"];
    this.#maxInbound = options.maxInbound ?? 4096;
    this.#maxQueued = options.maxQueued ?? 16;
    this.#log = options.log;
  }

  connect(options: MqttConnectOptions, handlers: MqttHandlers): void {
    this.#closeClient();
    this.#handlers = handlers;
    this.#connected = false;
    // Subscriptions belong to one connection; the firmware subscribes again in onConnect.
    for (let i = this.#queue.length - 1; i >= 0; i--) if (this.#queue[i].kind === "subscribe") this.#queue.splice(i, 1);

    let socket: ClientOptions["socket"];
    try {
      socket = options.tls ? { io: TLSSocket, TCP: { io: TCP }, secure: secureOptions(options.tls, options.host) } : { io: TCP };
    } catch (error) {
      const reason = `TLS material refused: ${error instanceof Error ? error.message : String(error)}`;
      Timer.set(() => handlers.onDisconnect(reason), 0);
      return;
    }
    const clientOptions: ClientOptions = {
      host: options.host,
      port: options.port,
      id: options.clientId,
      clean: options.clean,
      keepalive: options.keepalive * 1000,
      dns: { io: Resolver, servers: this.#dnsServers, socket: { io: UDP } },
      socket,
      onReadable: (count, info) => this.#onReadable(count, info),
      onWritable: () => this.#onWritable(),
      onControl: (message) => this.#onControl(message),
      onError: () => this.#onError(),
    };
    if (options.username !== undefined) clientOptions.user = options.username;
    if (options.password !== undefined) clientOptions.password = options.password;
    if (options.will) {
      clientOptions.will = {
        topic: options.will.topic,
        // The client takes an ArrayBuffer as bytes and anything else as text.
        message: toArrayBuffer(options.will.payload),
        QoS: options.will.qos,
        retain: options.will.retain,
      };
    }
    try {
      this.#client = new Client(clientOptions);
    } catch (error) {
      this.#client = undefined;
      const reason = `connect failed: ${error instanceof Error ? error.message : String(error)}`;
      Timer.set(() => handlers.onDisconnect(reason), 0);
    }
  }

  subscribe(topic: string, qos: QoS): void {
    this.#enqueue({ kind: "subscribe", topic, qos });
  }

  publish(topic: string, payload: Uint8Array, options: { qos: QoS; retain: boolean }, onPuback?: () => void): void {
    this.#enqueue({ kind: "publish", topic, payload, qos: options.qos, retain: options.retain, onPuback });
  }

  disconnect(): void {
    const client = this.#client;
    if (client && this.#connected) {
      // What the firmware published just before (its offline status) goes out first.
      this.#flush();
      try {
        // A DISCONNECT packet tells the broker to discard the will.
        client.write(null, { operation: Operation.DISCONNECT });
      } catch {
        // Socket full or already gone: closing without DISCONNECT publishes the will.
        this.#log?.event("warn", "mqtt-disconnect-unsent");
      }
    }
    this.#closeClient();
  }

  #closeClient(): void {
    const client = this.#client;
    this.#client = undefined;
    this.#connected = false;
    this.#subscribing.clear();
    this.#publishing.clear();
    this.#resetInbound();
    client?.close();
  }

  #enqueue(item: Outbound): void {
    if (this.#queue.length >= this.#maxQueued) {
      const dropped = this.#queue.shift();
      this.#log?.event("warn", "mqtt-queue-overflow", { dropped: dropped?.topic });
    }
    this.#queue.push(item);
    // Writing from inside the client's callbacks is allowed (its parser restores the socket format).
    this.#flush();
  }

  #flush(): void {
    const client = this.#client;
    if (!client || !this.#connected) return;
    while (this.#queue.length) {
      const item = this.#queue[0];
      try {
        if (item.kind === "publish") this.#writePublish(client, item);
        else this.#writeSubscribe(client, item.topic, item.qos);
      } catch (error) {
        // "overflow": the socket is full; the item stays first and onWritable flushes again.
        this.#log?.event("debug", "mqtt-write-deferred", { reason: error instanceof Error ? error.message : String(error) });
        return;
      }
      this.#queue.shift();
    }
  }

  #onWritable(): void {
    this.#flush();
  }

  /** Our own packet ids for SUBSCRIBE, so the SUBACK can be matched to its topic. */
  #writeSubscribe(client: Client, topic: string, qos: QoS): void {
    const id = this.#nextPacketId;
    client.write(null, { operation: Operation.SUBSCRIBE, id, items: [{ topic, QoS: qos }] });
    this.#advancePacketId();
    this.#subscribing.set(id, topic);
  }

  /** QoS 1 publications take ids from the same counter, so a PUBACK finds its `onPuback`. */
  #writePublish(client: Client, item: Extract<Outbound, { kind: "publish" }>): void {
    if (item.qos === 0) {
      client.write(item.payload, { topic: item.topic, QoS: 0, retain: item.retain });
      return;
    }
    const id = this.#nextPacketId;
    client.write(item.payload, { topic: item.topic, QoS: 1, retain: item.retain, id });
    this.#advancePacketId();
    if (item.onPuback) this.#publishing.set(id, item.onPuback);
  }

  #advancePacketId(): void {
    this.#nextPacketId = this.#nextPacketId >= 0xffff ? 1 : this.#nextPacketId + 1;
  }

  #onControl(message: ControlMessage): void {
    if (message.operation === Operation.PUBACK) {
      const onPuback = message.id === undefined ? undefined : this.#publishing.get(message.id);
      if (!onPuback || message.id === undefined) return;
      this.#publishing.delete(message.id);
      onPuback();
      return;
    }
    if (message.operation === Operation.SUBACK) {
      const topic = message.id === undefined ? undefined : this.#subscribing.get(message.id);
      if (topic === undefined || message.id === undefined) return;
      this.#subscribing.delete(message.id);
      const code = message.payload?.[0];
      this.#handlers?.onSubscribed?.(topic, code === 0 || code === 1 ? code : "refused");
      return;
    }
    if (message.operation !== Operation.CONNACK) return;
    this.#connected = true;
    this.#handlers?.onConnect({ sessionPresent: false });
    // The client reports writable space right after CONNACK; flush anything queued meanwhile.
    this.#flush();
  }

  #onError(): void {
    const reason = this.#connected ? "connection lost" : "connect failed or refused";
    // The client closes itself after this callback returns.
    this.#client = undefined;
    this.#connected = false;
    this.#subscribing.clear();
    this.#publishing.clear();
    this.#resetInbound();
    this.#handlers?.onDisconnect(reason);
  }

  #onReadable(count: number, info: ReadableInfo): void {
    const client = this.#client;
    if (!client) return;
    if (info.topic !== undefined) {
      // First fragment of a PUBLISH.
      const length = info.byteLength ?? count;
      this.#topic = info.topic;
      this.#qos = info.QoS === 1 ? 1 : 0;
      this.#received = 0;
      this.#dropping = length > this.#maxInbound;
      this.#payload = this.#dropping ? undefined : new Uint8Array(length);
      if (this.#dropping) this.#log?.event("warn", "mqtt-inbound-too-large", { topic: info.topic, bytes: length });
    }
    const payload = this.#payload;
    if (payload) {
      client.read(payload.subarray(this.#received, this.#received + count));
      this.#received += count;
    } else {
      for (let left = count; left > 0; ) {
        const chunk = left < this.#scratch.length ? left : this.#scratch.length;
        client.read(this.#scratch.subarray(0, chunk));
        left -= chunk;
      }
    }
    if (info.more) return;
    const topic = this.#topic;
    const qos = this.#qos;
    this.#resetInbound();
    if (payload && this.#handlers) {
      this.#handlers.onMessage({ topic, payload, qos, retain: false }, settleAlreadySent);
    }
  }

  #resetInbound(): void {
    this.#topic = "";
    this.#payload = undefined;
    this.#received = 0;
    this.#dropping = false;
  }
}

/** The SDK client has already sent PUBACK (see the file comment). */
function settleAlreadySent(): void {}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const { buffer } = bytes;
  if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) return buffer;
  return bytes.slice().buffer;
}

function secureOptions(tls: MqttTls, host: string): SecureOptions {
  const secure: SecureOptions = { serverName: tls.serverName ?? host };
  if (tls.ca !== undefined) secure.certificate = toDer(tls.ca);
  if (tls.cert !== undefined) secure.clientCertificates = [toDer(tls.cert)];
  if (tls.key !== undefined) secure.clientKey = pkcs8Key(tls.key);
  return secure;
}
