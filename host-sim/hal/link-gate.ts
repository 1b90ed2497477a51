/**
 * The device's Wi-Fi as its MQTT transport sees it: while the simulated link is down, a connection
 * attempt fails at once, as a station without an access point does, and the firmware's session
 * backs off and tries again as it would on the device.
 */
import type { MqttConnectOptions, MqttHandlers, MqttTransport, QoS } from "../../hal/mqtt";
import type { Network } from "../../hal/network";

export class LinkGatedTransport implements MqttTransport {
  constructor(
    private readonly inner: MqttTransport,
    private readonly network: Network,
    /** Runs the failure on a later turn, on the device's own timers (a power cut clears them). */
    private readonly later: (run: () => void) => void,
  ) {}

  connect(options: MqttConnectOptions, handlers: MqttHandlers): void {
    if (this.network.status().link === "down") {
      this.later(() => handlers.onDisconnect("no network link"));
      return;
    }
    this.inner.connect(options, handlers);
  }

  subscribe(topic: string, qos: QoS): void {
    this.inner.subscribe(topic, qos);
  }

  publish(topic: string, payload: Uint8Array, options: { qos: QoS; retain: boolean }, onPuback?: () => void): void {
    this.inner.publish(topic, payload, options, onPuback);
  }

  disconnect(): void {
    this.inner.disconnect();
  }
}
