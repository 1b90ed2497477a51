/** MQTT clients for tests that check what a broker lets in. */
import mqtt from "mqtt";

/** Resolves once the client is connected; rejects with the broker's refusal or the TLS error. */
export async function connected(client: mqtt.MqttClient): Promise<mqtt.MqttClient> {
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  return client;
}

/** Opens a client with a username and password, its client id the username (as the broker requires). */
export function connectAs(url: string, username: string, password: string): Promise<mqtt.MqttClient> {
  return connected(mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, username, password, clientId: username, clean: true }));
}

/** "connected", or "refused: " and why the broker would not have the client; the client is closed either way. */
export async function tryConnect(url: string, options: mqtt.IClientOptions): Promise<string> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options });
  const outcome = await new Promise<string>((resolve) => {
    client.once("connect", () => resolve("connected"));
    client.once("error", (error) => resolve(`refused: ${error.message}`));
    client.once("close", () => resolve("refused: connection closed"));
  });
  await client.endAsync(true);
  return outcome;
}
