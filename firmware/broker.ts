/**
 * Where the device connects, from its config: the broker's host, port and whether to use TLS
 * (a URL, or the separate fields), and the TLS material the references in the config point to.
 *
 * A TLS reference is "nvs:<name>", a blob or string provisioning wrote under <name> in the "tls"
 * domain (the store keeps values up to 3968 bytes: a certificate or a key fits, DER or PEM), or the PEM
 * text itself, as a build can carry it in its defaults. The transport turns PEM into what its
 * platform takes (DER for Moddable's TLS).
 */
import { NVS_LIMITS, type KeyValueStore } from "../hal/kv";
import type { MqttTls } from "../hal/mqtt";
import type { DeviceConfig } from "./config";

export const TLS_DOMAIN = "tls";

export interface BrokerEndpoint {
  host: string;
  port: number;
  tls: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const URL_FORM = /^(mqtts?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?\/?$/;

export function brokerEndpoint(config: DeviceConfig): BrokerEndpoint {
  if (config.brokerUrl === undefined) return { host: config.brokerHost, port: config.brokerPort, tls: config.brokerTls };
  const match = URL_FORM.exec(config.brokerUrl);
  if (!match) throw new ConfigError(`broker URL ${JSON.stringify(config.brokerUrl)} is not mqtt://host[:port] or mqtts://host[:port]`);
  const tls = match[1] === "mqtts";
  const port = match[3] === undefined ? (tls ? 8883 : 1883) : Number(match[3]);
  if (port < 1 || port > 65535) throw new ConfigError(`broker URL port ${port} is not 1-65535`);
  const host = match[2].charAt(0) === "[" ? match[2].slice(1, -1) : match[2];
  return { host, port, tls };
}

function material(kv: KeyValueStore, what: string, reference: string | undefined): Uint8Array | string | undefined {
  if (reference === undefined) return undefined;
  if (reference.indexOf("-----BEGIN ") >= 0) return reference;
  if (reference.slice(0, 4) !== "nvs:") throw new ConfigError(`TLS ${what}: reference ${JSON.stringify(reference.slice(0, 40))} is neither nvs:<name> nor PEM text`);
  const name = reference.slice(4);
  if (name.length === 0 || name.length > NVS_LIMITS.nameLength)
    throw new ConfigError(`TLS ${what}: ${JSON.stringify(name)} is not an NVS key name (1 to ${NVS_LIMITS.nameLength} characters)`);
  const stored = kv.get(TLS_DOMAIN, name);
  if (stored instanceof ArrayBuffer) return new Uint8Array(stored);
  if (typeof stored === "string") return stored;
  throw new ConfigError(`TLS ${what}: nothing stored under ${TLS_DOMAIN}/${name}`);
}

/** The TLS options of the connection, or undefined for plain MQTT. Throws ConfigError. */
export function brokerTls(config: DeviceConfig, endpoint: BrokerEndpoint, kv: KeyValueStore): MqttTls | undefined {
  if (!endpoint.tls) return undefined;
  const tls: MqttTls = {};
  const ca = material(kv, "CA", config.tlsCa);
  const cert = material(kv, "client certificate", config.tlsCert);
  const key = material(kv, "client key", config.tlsKey);
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError("TLS: a client certificate needs its key, and a key its certificate");
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  if (config.tlsServerName !== undefined) tls.serverName = config.tlsServerName;
  return tls;
}
