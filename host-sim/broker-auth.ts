/**
 * How a host-side client (the payment service, the release publisher) proves itself to a broker
 * that provisioning secured: a username and password, and for mqtts:// the CA that signed the
 * broker's certificate plus, with client certificates, the client's own certificate and key.
 */
import type { IClientOptions } from "mqtt";

export interface BrokerAuth {
  username?: string;
  password?: string;
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
}

export function brokerAuthOptions(auth: BrokerAuth): Partial<IClientOptions> {
  return {
    ...(auth.username !== undefined && { username: auth.username, password: auth.password }),
    ...(auth.tls && { ca: auth.tls.ca, cert: auth.tls.cert, key: auth.tls.key, rejectUnauthorized: true }),
  };
}

/** Why the broker would not have a client: its CONNACK refusal, or the TLS or socket error. */
export class BrokerConnectError extends Error {
  /** The broker answered and refused the credentials (CONNACK 4 or 5), as opposed to not being reached. */
  readonly refused: boolean;

  constructor(
    readonly brokerUrl: string,
    reason: Error,
  ) {
    super(`${brokerUrl}: ${reason.message}`, { cause: reason });
    this.name = "BrokerConnectError";
    const code = (reason as { code?: unknown }).code;
    this.refused = code === 4 || code === 5;
  }
}
