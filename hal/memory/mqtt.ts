/**
 * An MQTT 3.1.1 broker in memory and the transport that talks to it, for tests on XS and Node.
 *
 * Nothing happens behind the test's back: every packet (CONNECT, SUBSCRIBE, PUBLISH, delivery to
 * a client) becomes a step in the broker's queue, and `broker.flush()` runs the steps in order.
 * Handlers therefore never run inside the call that caused them, as on a real network.
 *
 * What it does, as MQTT 3.1.1 says (section numbers of the OASIS standard):
 * - QoS 0 and 1; a delivery's QoS is the lower of the publication's and the subscription's (3.8.4).
 *   Overlapping subscriptions deliver one copy at the highest granted QoS.
 * - Retained messages: stored per topic, an empty payload clears; sent with retain = true to new
 *   subscriptions, with retain = false to established ones (3.3.1.3).
 * - Wills: published when the connection ends without DISCONNECT: `cut`, or a takeover by a new
 *   connection with the same client id (3.1.2.5, 3.1.4-2).
 * - Sessions: clean = false keeps subscriptions, queues QoS 1 messages while the client is away
 *   and redelivers QoS 1 messages never acknowledged, after CONNACK, on the next connection
 *   (3.1.2.4, 4.4). clean = true starts afresh and is discarded at disconnect.
 * - Acknowledgement: a QoS 1 delivery is acknowledged (PUBACK) when the client calls `settle`, on
 *   the connection it came on; a settle after that connection ended does nothing. A client's QoS 1
 *   publication is acknowledged to it (`onPuback`) one step after the broker routed it, if its
 *   connection is still up then.
 * - Wildcards `+` and `#`; topics starting with `$` are not matched by a leading wildcard (4.7.2).
 * - SUBACK: `onSubscribed` after the subscription is in place, or "refused" when
 *   `authorizeSubscribe` says no (3.9.3).
 * Not modelled: keepalive timing, QoS 2, packet sizes, the DUP flag (MqttInbound has no field for it).
 */
import type { MqttConnectOptions, MqttHandlers, MqttInbound, MqttTransport, QoS } from "../mqtt";

/** Every PUBLISH the broker accepted, in order, wills included. */
export interface BrokerRecord {
  from: string;
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  will: boolean;
}

export interface SessionView {
  subscriptions: string[];
  /** QoS 1 messages waiting for the client to come back. */
  queued: number;
  /** QoS 1 messages sent and not acknowledged. */
  inflight: number;
  connected: boolean;
}

export interface MemoryBrokerOptions {
  /** Refuses a connection when it returns false (CONNACK "not authorized"). */
  authenticate?: (options: MqttConnectOptions) => boolean;
  /** QoS 1 messages kept per absent session; newer ones are dropped past it (mosquitto's default). */
  maxQueued?: number;
  /** Refuses a subscription when it returns false (SUBACK return code 0x80), as an ACL does. */
  authorizeSubscribe?: (clientId: string, filter: string) => boolean;
}

interface Delivery {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
}

interface Session {
  readonly clientId: string;
  persistent: boolean;
  readonly subscriptions: Map<string, QoS>;
  readonly queued: Delivery[];
  readonly inflight: Map<number, Delivery>;
  nextPacketId: number;
  connection: Connection | undefined;
}

/** One network connection of one client: the broker's view and whether the client closed it. */
export class Connection {
  state: "connecting" | "open" | "closed" = "connecting";
  /** The client sent DISCONNECT: nothing more reaches it. */
  clientClosed = false;
  session: Session | undefined;

  constructor(readonly options: MqttConnectOptions, readonly handlers: MqttHandlers) {}

  get clientId(): string {
    return this.options.clientId;
  }

  get reachable(): boolean {
    return this.state === "open" && !this.clientClosed;
  }
}

export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && !/[+#\u0000]/.test(topic);
}

export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes("\u0000")) return false;
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) return false;
    if (level.includes("+") && level !== "+") return false;
  }
  return true;
}

/** MQTT 3.1.1 section 4.7 topic matching. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (topic.startsWith("$") && (f[0] === "+" || f[0] === "#")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

const MAX_PACKET_ID = 0xffff;

export class MemoryBroker {
  /** false: new connections are refused ("server unavailable"), existing ones are kept. */
  available = true;
  readonly published: BrokerRecord[] = [];
  /** QoS 1 messages dropped because an absent session's queue was full. */
  droppedQueued = 0;
  readonly #sessions = new Map<string, Session>();
  readonly #retained = new Map<string, Delivery>();
  readonly #connections = new Set<Connection>();
  readonly #steps: (() => void)[] = [];
  readonly #options: MemoryBrokerOptions;

  constructor(options: MemoryBrokerOptions = {}) {
    this.#options = options;
  }

  /** Steps waiting to run. */
  get pending(): number {
    return this.#steps.length;
  }

  /** Runs queued steps, and those they queue, until none is left. Returns how many ran. */
  flush(maxSteps = 100_000): number {
    let ran = 0;
    while (this.#steps.length > 0) {
      if (ran >= maxSteps) throw new Error(`broker: still busy after ${maxSteps} steps (a publish loop?)`);
      (this.#steps.shift() as () => void)();
      ran++;
    }
    return ran;
  }

  /** Drops a client's connection as a network failure would: the will goes out, the session stays. */
  cut(clientId: string, reason = "connection lost"): boolean {
    let found = false;
    for (const connection of Array.from(this.#connections)) {
      if (connection.clientId !== clientId) continue;
      found = true;
      this.#drop(connection, reason);
    }
    return found;
  }

  isConnected(clientId: string): boolean {
    return this.#sessions.get(clientId)?.connection?.state === "open";
  }

  retained(topic: string): { payload: Uint8Array; qos: QoS } | undefined {
    const message = this.#retained.get(topic);
    return message && { payload: message.payload.slice(), qos: message.qos };
  }

  session(clientId: string): SessionView | undefined {
    const s = this.#sessions.get(clientId);
    if (!s) return undefined;
    return { subscriptions: Array.from(s.subscriptions.keys()), queued: s.queued.length, inflight: s.inflight.size, connected: s.connection?.state === "open" };
  }

  /** Messages the broker accepted on a topic (or matching a filter), oldest first. */
  publishedOn(filter: string): BrokerRecord[] {
    return this.published.filter((record) => topicMatches(filter, record.topic));
  }

  // The wire, as MemoryMqtt uses it. Each call queues one step, in the order the client sent.

  open(options: MqttConnectOptions, handlers: MqttHandlers): Connection {
    const connection = new Connection(options, handlers);
    this.#connections.add(connection);
    this.#step(() => this.#accept(connection));
    return connection;
  }

  subscribe(connection: Connection, filter: string, qos: QoS): void {
    this.#step(() => {
      const s = connection.session;
      if (connection.state !== "open" || !s) return;
      if (this.#options.authorizeSubscribe?.(connection.clientId, filter) === false) {
        this.#step(() => connection.handlers.onSubscribed?.(filter, "refused"));
        return;
      }
      s.subscriptions.set(filter, qos);
      for (const message of this.#retained.values())
        if (topicMatches(filter, message.topic)) this.#send(s, { ...message, qos: lower(message.qos, qos), retain: true });
      this.#step(() => {
        if (connection.state === "open" && !connection.clientClosed) connection.handlers.onSubscribed?.(filter, qos);
      });
    });
  }

  publish(connection: Connection, topic: string, payload: Uint8Array, qos: QoS, retain: boolean, onLost: () => void, onPuback?: () => void): void {
    this.#step(() => {
      if (connection.state !== "open") {
        onLost();
        return;
      }
      this.#route(connection.clientId, { topic, payload, qos, retain }, false);
      if (qos === 1 && onPuback)
        this.#step(() => {
          if (connection.reachable) onPuback();
        });
    });
  }

  /** DISCONNECT: the session outlives it when persistent; no will. */
  close(connection: Connection): void {
    connection.clientClosed = true;
    this.#step(() => this.#close(connection, false));
  }

  #step(step: () => void): void {
    this.#steps.push(step);
  }

  #accept(connection: Connection): void {
    if (connection.state !== "connecting") return;
    const { options, handlers } = connection;
    const refusal = !this.available ? "server unavailable" : this.#options.authenticate?.(options) === false ? "not authorized" : undefined;
    if (refusal) {
      connection.state = "closed";
      this.#connections.delete(connection);
      if (!connection.clientClosed) handlers.onDisconnect(refusal);
      return;
    }
    for (const other of Array.from(this.#connections))
      if (other !== connection && other.clientId === options.clientId) this.#drop(other, "session taken over");
    let s = this.#sessions.get(options.clientId);
    if (options.clean || !s || !s.persistent) s = undefined;
    const sessionPresent = s !== undefined;
    if (!s) {
      s = { clientId: options.clientId, persistent: false, subscriptions: new Map(), queued: [], inflight: new Map(), nextPacketId: 1, connection: undefined };
      this.#sessions.set(options.clientId, s);
    }
    s.persistent = !options.clean;
    s.connection = connection;
    connection.session = s;
    connection.state = "open";
    // Unacknowledged then queued messages go out right after CONNACK, before anything the client
    // sends in response to it.
    for (const [packetId, delivery] of s.inflight) this.#transmit(s, connection, packetId, delivery);
    const queued = s.queued.splice(0);
    for (const delivery of queued) this.#send(s, delivery);
    if (!connection.clientClosed) handlers.onConnect({ sessionPresent });
  }

  /** Ends a connection without DISCONNECT: the will goes out and the client hears of it. */
  #drop(connection: Connection, reason: string): void {
    this.#close(connection, true);
    if (!connection.clientClosed) this.#step(() => connection.handlers.onDisconnect(reason));
  }

  #close(connection: Connection, sendWill: boolean): void {
    if (connection.state === "closed") return;
    const wasOpen = connection.state === "open";
    connection.state = "closed";
    this.#connections.delete(connection);
    const s = connection.session;
    if (s && s.connection === connection) {
      s.connection = undefined;
      if (!s.persistent) this.#sessions.delete(s.clientId);
    }
    const will = connection.options.will;
    if (sendWill && wasOpen && will)
      this.#route(connection.clientId, { topic: will.topic, payload: will.payload.slice(), qos: will.qos, retain: will.retain }, true);
  }

  #route(from: string, message: Delivery, will: boolean): void {
    this.published.push({ from, ...message, will });
    if (message.retain) {
      if (message.payload.length === 0) this.#retained.delete(message.topic);
      else this.#retained.set(message.topic, { ...message, retain: true });
    }
    for (const s of this.#sessions.values()) {
      let granted: QoS | undefined;
      for (const [filter, qos] of s.subscriptions)
        if (topicMatches(filter, message.topic) && (granted === undefined || qos > granted)) granted = qos;
      if (granted !== undefined) this.#send(s, { topic: message.topic, payload: message.payload, qos: lower(message.qos, granted), retain: false });
    }
  }

  #send(s: Session, delivery: Delivery): void {
    const connection = s.connection;
    if (!connection || connection.state !== "open") {
      if (delivery.qos === 0) return;
      if (s.queued.length >= (this.#options.maxQueued ?? 1000)) this.droppedQueued++;
      else s.queued.push(delivery);
      return;
    }
    let packetId = 0;
    if (delivery.qos === 1) {
      do packetId = s.nextPacketId = (s.nextPacketId % MAX_PACKET_ID) + 1;
      while (s.inflight.has(packetId));
      s.inflight.set(packetId, delivery);
    }
    this.#transmit(s, connection, packetId, delivery);
  }

  #transmit(s: Session, connection: Connection, packetId: number, delivery: Delivery): void {
    this.#step(() => {
      if (!connection.reachable) return;
      const message: MqttInbound = { topic: delivery.topic, payload: delivery.payload.slice(), qos: delivery.qos, retain: delivery.retain };
      let settled = false;
      connection.handlers.onMessage(message, () => {
        if (settled) return;
        settled = true;
        if (delivery.qos === 1 && connection.state === "open") s.inflight.delete(packetId);
      });
    });
  }
}

function lower(a: QoS, b: QoS): QoS {
  return a < b ? a : b;
}

/**
 * The client side: an MqttTransport over a MemoryBroker. Calls made while the connection is
 * down but before `onDisconnect` has arrived are lost, as bytes written to a dead socket are
 * (see `lost`); calls made with no connection at all throw.
 */
export class MemoryMqtt implements MqttTransport {
  readonly broker: MemoryBroker;
  /** Publications that never reached the broker because the connection had dropped. */
  readonly lost: { topic: string; payload: Uint8Array; qos: QoS }[] = [];
  /** The options of every connect call, oldest first. */
  readonly connects: MqttConnectOptions[] = [];
  #connection: Connection | undefined;

  constructor(broker: MemoryBroker) {
    this.broker = broker;
  }

  get connected(): boolean {
    return this.#connection?.reachable ?? false;
  }

  connect(options: MqttConnectOptions, handlers: MqttHandlers): void {
    const current = this.#connection;
    if (current && !current.clientClosed && current.state !== "closed") throw new Error("mqtt: already connected");
    if (options.clientId.length === 0) throw new Error("mqtt: client id is empty");
    if (options.will && !isValidTopicName(options.will.topic)) throw new Error(`mqtt: invalid will topic ${JSON.stringify(options.will.topic)}`);
    const copy: MqttConnectOptions = { ...options };
    if (options.will) copy.will = { ...options.will, payload: options.will.payload.slice() };
    this.connects.push(copy);
    this.#connection = this.broker.open(copy, handlers);
  }

  subscribe(topic: string, qos: QoS): void {
    if (!isValidTopicFilter(topic)) throw new Error(`mqtt: invalid topic filter ${JSON.stringify(topic)}`);
    this.broker.subscribe(this.#live("subscribe"), topic, qos);
  }

  publish(topic: string, payload: Uint8Array, options: { qos: QoS; retain: boolean }, onPuback?: () => void): void {
    if (!isValidTopicName(topic)) throw new Error(`mqtt: invalid topic name ${JSON.stringify(topic)}`);
    const copy = payload.slice();
    this.broker.publish(this.#live("publish"), topic, copy, options.qos, options.retain, () => this.lost.push({ topic, payload: copy, qos: options.qos }), onPuback);
  }

  disconnect(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection && !connection.clientClosed) this.broker.close(connection);
  }

  #live(what: string): Connection {
    const connection = this.#connection;
    if (!connection || connection.clientClosed) throw new Error(`mqtt: ${what} without a connection`);
    return connection;
  }
}
