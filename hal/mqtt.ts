/** MQTT 3.1.1 client transport: what the ECMA-419 MQTT client and mqtt.js both provide. */
export type QoS = 0 | 1;

export interface MqttWill {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
}

export interface MqttTls {
  /** PEM or DER trust anchors for the broker's certificate. */
  ca?: Uint8Array | string;
  /** Client certificate and key for per-device authentication. */
  cert?: Uint8Array | string;
  key?: Uint8Array | string;
  serverName?: string;
}

export interface MqttConnectOptions {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  /** false keeps the broker-side session (subscriptions, queued QoS 1 messages) across disconnects. */
  clean: boolean;
  /** Seconds. */
  keepalive: number;
  will?: MqttWill;
  tls?: MqttTls;
}

export interface MqttInbound {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
}

export interface MqttHandlers {
  onConnect(info: { sessionPresent: boolean }): void;
  /** The connection ended or could not be made; the caller decides when to connect again. */
  onDisconnect(reason: string): void;
  /**
   * A message arrived. For QoS 1 the transport acknowledges it (PUBACK) once `settle` is called,
   * where the platform lets acknowledgement wait; the firmware settles after journaling.
   */
  onMessage(message: MqttInbound, settle: () => void): void;
  /**
   * The broker answered a SUBSCRIBE (SUBACK): the QoS it granted, or "refused" (return code
   * 0x80, e.g. an ACL denies the topic). Proof that the subscription is in place.
   */
  onSubscribed?(topic: string, granted: QoS | "refused"): void;
}

export interface MqttTransport {
  connect(options: MqttConnectOptions, handlers: MqttHandlers): void;
  subscribe(topic: string, qos: QoS): void;
  /**
   * Sends a PUBLISH. For QoS 1, `onPuback` runs when the broker's PUBACK for it arrives: the broker
   * has taken the message. It never runs if the connection ends first (the message may then be
   * lost), nor for QoS 0.
   */
  publish(topic: string, payload: Uint8Array, options: { qos: QoS; retain: boolean }, onPuback?: () => void): void;
  /** Closes the connection without sending the will. */
  disconnect(): void;
}
