/**
 * The device's MQTT session as an explicit state machine:
 *
 *   idle --start--> connecting --connected--> online --lost--> waiting --timer--> connecting
 *     |                 |                                       ^  |
 *     |                 +-------------------failed--------------+  +--timer, link down--> no-link
 *     +--start, link down--> no-link --link up--> connecting
 *
 * Persistent session (clean = false) so the broker keeps QoS 1 confirmations while the device is
 * away; a retained status with an "offline" will; reconnect after an exponential, jittered delay;
 * subscriptions made again on every connect. Publications made while offline wait in a bounded
 * outbox and go out, in order, on the next connect.
 *
 * The network link (`link`, fed by the network HAL) decides when an attempt is worth making:
 * never while the link is down, where it could only fail and grow the delay, and at once when the
 * link comes back after the delay has run out ("no-link"). A link that comes back while the delay
 * still runs changes nothing: that delay was earned by a failure with the link up, the broker's
 * kind, and a flapping link must not turn into a connect per flap. For the same reason the delay
 * starts again from its first step only once a connection has lasted `stableMs`: connections that
 * keep dropping right after they are made back off like failed attempts.
 */
import type { Timers, TimerHandle } from "../hal/clock";
import type { Crypto } from "../hal/crypto";
import type { Log } from "../hal/log";
import type { MqttConnectOptions, MqttInbound, MqttTransport, QoS } from "../hal/mqtt";
import type { DeviceTopics } from "./protocol/topics";

export type SessionState = "idle" | "connecting" | "online" | "waiting" | "no-link" | "stopped";

export interface Backoff {
  /** The first delay's ceiling; each failure doubles it up to `maxMs`. */
  initialMs: number;
  maxMs: number;
  /** A connection that lasts this long starts the delays again from `initialMs`. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 60_000, stableMs: 10_000 };

export interface SessionOptions {
  mqtt: MqttTransport;
  timers: Timers;
  crypto: Crypto;
  log: Log;
  connect: Omit<MqttConnectOptions, "will" | "clean">;
  topics: DeviceTopics;
  /** Further topics to subscribe to at QoS 1 on every connect (a QR display's charges). */
  subscriptions?: readonly string[];
  /** Whether the network link is up at start; `link` reports each change after that. */
  linkUp: boolean;
  /** Status payloads: the online one is published on connect, the offline one is the will. */
  onlineStatus: () => Uint8Array;
  offlineStatus: Uint8Array;
  onMessage(message: MqttInbound, settle: () => void): void;
  onStateChange?(state: SessionState): void;
  /**
   * The session is online and the broker granted every subscription (SUBACK): the device can
   * hear the service. Runs once per connection; an update on trial waits for it to confirm.
   */
  onReady?(): void;
  /**
   * Runs on every connect, after the subscriptions and the online status and before the outbox:
   * what must go out first (acks still outstanding) is published here.
   */
  onConnected?(): void;
  backoff?: Backoff;
  outboxLimit?: number;
}

interface Outgoing {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
}

export class MqttSession {
  #state: SessionState = "idle";
  /** Subscriptions of this connection not yet granted; -1 once one was refused. */
  #awaitingGrants = 0;
  /** Attempts that failed, and connections that did not last `stableMs`, since the last that did. */
  #failures = 0;
  #linkUp: boolean;
  /** The backoff delay while waiting; once a connection is up, the wait until it counts as stable. */
  #timer: TimerHandle | undefined;
  readonly #outbox: Outgoing[] = [];
  readonly #o: SessionOptions;
  #dropped = 0;

  constructor(options: SessionOptions) {
    this.#o = options;
    this.#linkUp = options.linkUp;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** Online with every subscription granted. */
  get ready(): boolean {
    return this.#state === "online" && this.#awaitingGrants === 0;
  }

  /** Publications dropped because the outbox was full while offline. */
  get dropped(): number {
    return this.#dropped;
  }

  start(): void {
    if (this.#state !== "idle") return;
    this.#attempt("start");
  }

  /** The network HAL says the link went up or down. */
  link(up: boolean): void {
    this.#linkUp = up;
    if (up && this.#state === "no-link") this.#attempt("link-up");
  }

  stop(): void {
    this.#clearTimer();
    const wasOnline = this.#state === "online";
    this.#set("stopped");
    if (wasOnline) this.#o.mqtt.publish(this.#o.topics.status, this.#o.offlineStatus, { qos: 1, retain: true });
    this.#o.mqtt.disconnect();
  }

  publish(topic: string, payload: Uint8Array, qos: QoS, retain = false): void {
    if (this.#state === "online") {
      this.#o.mqtt.publish(topic, payload, { qos, retain });
      return;
    }
    if (qos === 0) return;
    if (this.#outbox.length >= (this.#o.outboxLimit ?? 64)) {
      this.#outbox.shift();
      this.#dropped++;
    }
    this.#outbox.push({ topic, payload, qos, retain });
  }

  /**
   * Publishes at QoS 1 on the current connection only, never through the outbox: `onPuback` runs
   * once the broker has taken it. Offline it sends nothing; the caller keeps what it must still
   * send and sends it again from `onConnected`.
   */
  publishTracked(topic: string, payload: Uint8Array, onPuback: () => void): void {
    if (this.#state === "online") this.#o.mqtt.publish(topic, payload, { qos: 1, retain: false }, onPuback);
  }

  #set(state: SessionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#o.onStateChange?.(state);
  }

  #clearTimer(): void {
    if (this.#timer) this.#o.timers.clear(this.#timer);
    this.#timer = undefined;
  }

  #attempt(cause: "start" | "backoff" | "link-up"): void {
    if (!this.#linkUp) {
      this.#set("no-link");
      return;
    }
    this.#o.log.event("info", "connecting", { cause, failures: this.#failures });
    this.#set("connecting");
    const { topics } = this.#o;
    this.#o.mqtt.connect(
      {
        ...this.#o.connect,
        clean: false,
        will: { topic: topics.status, payload: this.#o.offlineStatus, qos: 1, retain: true },
      },
      {
        onConnect: ({ sessionPresent }) => this.#connected(sessionPresent),
        onDisconnect: (reason) => this.#lost(reason),
        onMessage: (message, settle) => {
          if (this.#state !== "stopped") this.#o.onMessage(message, settle);
        },
        onSubscribed: (topic, granted) => this.#granted(topic, granted),
      },
    );
  }

  #connected(sessionPresent: boolean): void {
    if (this.#state !== "connecting") return;
    this.#set("online");
    const { mqtt, topics, log, timers } = this.#o;
    log.event("info", "connected", { sessionPresent });
    this.#timer = timers.once(() => {
      this.#timer = undefined;
      this.#failures = 0;
    }, (this.#o.backoff ?? DEFAULT_BACKOFF).stableMs);
    // Update chunks are QoS 0: the device asks again for what does not arrive, and a broker
    // should not queue them for a device that is away.
    const subscriptions: [string, QoS][] = [[topics.payments, 1], [topics.commands, 1], [topics.updateData, 0]];
    for (const topic of this.#o.subscriptions ?? []) subscriptions.push([topic, 1]);
    this.#awaitingGrants = subscriptions.length;
    for (const [topic, qos] of subscriptions) mqtt.subscribe(topic, qos);
    mqtt.publish(topics.status, this.#o.onlineStatus(), { qos: 1, retain: true });
    this.#o.onConnected?.();
    while (this.#outbox.length > 0) {
      const item = this.#outbox.shift() as Outgoing;
      mqtt.publish(item.topic, item.payload, { qos: item.qos, retain: item.retain });
    }
  }

  #granted(topic: string, granted: QoS | "refused"): void {
    if (this.#state !== "online" || this.#awaitingGrants <= 0) return;
    if (granted === "refused") {
      this.#awaitingGrants = -1;
      this.#o.log.event("error", "subscribe-refused", { topic });
      return;
    }
    this.#awaitingGrants--;
    if (this.#awaitingGrants === 0) {
      this.#o.log.event("info", "subscribed");
      this.#o.onReady?.();
    }
  }

  #lost(reason: string): void {
    if (this.#state !== "connecting" && this.#state !== "online") return;
    this.#clearTimer();
    const delay = this.#nextDelay();
    this.#o.log.event("warn", "disconnected", { reason, retryInMs: delay });
    this.#set("waiting");
    this.#timer = this.#o.timers.once(() => {
      this.#timer = undefined;
      if (this.#state === "waiting") this.#attempt("backoff");
    }, delay);
  }

  /** Exponential backoff with "equal jitter": half fixed, half random, so a fleet spreads out. */
  #nextDelay(): number {
    const { initialMs, maxMs } = this.#o.backoff ?? DEFAULT_BACKOFF;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(this.#failures, 16));
    this.#failures++;
    const random = this.#o.crypto.randomBytes(2);
    const fraction = ((random[0] << 8) | random[1]) / 0x10000;
    return Math.round(ceiling / 2 + fraction * (ceiling / 2));
  }
}
