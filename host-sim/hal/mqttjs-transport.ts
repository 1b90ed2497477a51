/**
 * The HAL MQTT transport on mqtt.js. Reconnection is left to the firmware's session (as on the
 * device), so mqtt.js's own reconnect is off. QoS 1 PUBACKs wait until the firmware settles the
 * message, which it does after journaling. TLS options from the firmware's config (CA, client
 * certificate and key, server name) go to Node's TLS; DER material is armoured as PEM first,
 * since Node reads certificates only as PEM.
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { MqttConnectOptions, MqttHandlers, MqttTransport, QoS } from "../../hal/mqtt";

function pem(material: Uint8Array | string | undefined, label: "CERTIFICATE" | "PRIVATE KEY"): Buffer | string | undefined {
  if (!(material instanceof Uint8Array)) return material;
  const bytes = Buffer.from(material);
  // DER is a SEQUENCE (0x30); anything else is PEM text stored as bytes.
  if (bytes[0] !== 0x30) return bytes;
  const lines = bytes.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

export interface MqttJsTransportOptions {
  /**
   * false: mqtt.js logs nothing, even under DEBUG=mqttjs*. Its logger is called several times per
   * packet; over ten thousand clients in one process (fleet mode) that is measurable CPU.
   */
  debugLog?: boolean;
}

const silent = () => {};

export class MqttJsTransport implements MqttTransport {
  #client: MqttClient | undefined;
  #handlers: MqttHandlers | undefined;

  constructor(private readonly transportOptions: MqttJsTransportOptions = {}) {}

  connect(options: MqttConnectOptions, handlers: MqttHandlers): void {
    this.#client?.end(true);
    const tls = options.tls;
    const clientOptions: IClientOptions = {
      host: options.host,
      port: options.port,
      protocol: tls ? "mqtts" : "mqtt",
      protocolVersion: 4,
      clientId: options.clientId,
      clean: options.clean,
      keepalive: options.keepalive,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      ...(this.transportOptions.debugLog === false && { log: silent }),
      username: options.username,
      password: options.password,
      will: options.will && {
        topic: options.will.topic,
        payload: Buffer.from(options.will.payload),
        qos: options.will.qos,
        retain: options.will.retain,
      },
      ...(tls && {
        ca: pem(tls.ca, "CERTIFICATE"),
        cert: pem(tls.cert, "CERTIFICATE"),
        key: pem(tls.key, "PRIVATE KEY"),
        servername: tls.serverName,
        rejectUnauthorized: true,
      }),
    };
    const client = mqtt.connect(clientOptions);
    this.#client = client;
    this.#handlers = handlers;
    let ended = false;
    const end = (reason: string) => {
      if (ended || this.#client !== client) return;
      ended = true;
      handlers.onDisconnect(reason);
    };
    client.handleMessage = (packet, callback) => {
      const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
      let settled = false;
      handlers.onMessage(
        { topic: packet.topic, payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), qos: packet.qos as QoS, retain: packet.retain },
        () => {
          if (settled) return;
          settled = true;
          callback();
        },
      );
    };
    client.on("connect", (connack) => {
      // No Nagle: the PUBACK and the ack that follow a payment go out at once, not 40 ms apart.
      (client.stream as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
      handlers.onConnect({ sessionPresent: connack.sessionPresent });
    });
    client.on("error", (error) => {
      end(error.message);
      client.end(true);
    });
    client.on("close", () => end("connection closed"));
  }

  subscribe(topic: string, qos: QoS): void {
    const client = this.#client;
    const handlers = this.#handlers;
    client?.subscribe(topic, { qos }, (error, granted) => {
      // An error here means no SUBACK came (the connection ended first): nothing to report.
      if (error || this.#client !== client) return;
      const grant = granted?.[0]?.qos;
      handlers?.onSubscribed?.(topic, grant === 0 || grant === 1 ? grant : "refused");
    });
  }

  publish(topic: string, payload: Uint8Array, options: { qos: QoS; retain: boolean }, onPuback?: () => void): void {
    // mqtt.js calls back on PUBACK for QoS 1, and with an error when the connection ends first.
    this.#client?.publish(topic, Buffer.from(payload), options, (error) => {
      if (!error && options.qos === 1) onPuback?.();
    });
  }

  disconnect(): void {
    const client = this.#client;
    this.#client = undefined;
    client?.end(false);
  }

  /** The link drops without DISCONNECT: the broker sends the will, the firmware is told. */
  cut(): void {
    this.#client?.stream.destroy();
  }

  /** Power loss: the connection drops as in `cut`, and nothing reaches the dead firmware. */
  powerLoss(): void {
    const client = this.#client;
    this.#client = undefined;
    client?.stream.destroy();
    client?.end(true);
  }
}
