/** The broker address devices are given: mqtt://host[:port] (1883) or mqtts://host[:port] (8883). */
export interface BrokerAddress {
  host: string;
  port: number;
  tls: boolean;
}

export function parseBrokerUrl(text: string): BrokerAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`broker URL ${JSON.stringify(text)} is not a URL (mqtt://host:port or mqtts://host:port)`);
  }
  const tls = url.protocol === "mqtts:";
  if (!tls && url.protocol !== "mqtt:") throw new Error(`broker URL ${text} must start with mqtt:// or mqtts://`);
  if (url.username || url.password) throw new Error(`broker URL ${text} must not carry credentials: each device gets its own`);
  if ((url.pathname && url.pathname !== "/") || url.search || url.hash) throw new Error(`broker URL ${text} must be only a scheme, host and port`);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host) throw new Error(`broker URL ${text} has no host`);
  const port = url.port ? Number(url.port) : tls ? 8883 : 1883;
  return { host, port, tls };
}
