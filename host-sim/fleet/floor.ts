/**
 * The floor: what the broker and mqtt.js can do with no firmware at all. N bare mqtt.js clients,
 * each subscribed at QoS 1 to its own topic, and one publisher sending QoS 1 messages the size
 * of a signed confirmation; latency is publish call to message event. The virtual soundboxes are
 * measured the same way, so the difference is what the firmware and the payment service add.
 */
import { randomBytes } from "node:crypto";
import mqtt, { type MqttClient } from "mqtt";
import { inBatches } from "./batches";
import { fleetNow } from "./clock";
import type { LoadTarget } from "./load";
import type { Recorder } from "./recorder";

/** A v1 confirmation envelope is about this size (host-sim/bench/latency.ts measures it). */
export const FLOOR_PAYLOAD_BYTES = 190;

/** As the fleet's devices: no mqtt.js debug logging, so the two sides pay the same per packet. */
const silent = () => {};

function noDelay(client: MqttClient): void {
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
}

export class BareFleet implements LoadTarget {
  readonly label = "floor";
  readonly #payload = Buffer.from(randomBytes(FLOOR_PAYLOAD_BYTES));

  private constructor(
    readonly devices: number,
    private readonly topics: string[],
    private readonly subscribers: MqttClient[],
    private readonly publisher: MqttClient,
    readonly connectMs: number,
  ) {}

  static async connect(url: string, count: number, runId: string, recorder: Recorder, concurrency: number, progress: (line: string) => void): Promise<BareFleet> {
    const topics = Array.from({ length: count }, (_, i) => `floor/${runId}/${i}`);
    const started = performance.now();
    const subscribers = await inBatches(
      count,
      concurrency,
      async (i) => {
        const client = await mqtt.connectAsync(url, { clientId: `floor-${runId}-${i}`, clean: true, protocolVersion: 4, reconnectPeriod: 0, keepalive: 60, connectTimeout: 60_000, log: silent });
        noDelay(client);
        client.on("message", (_topic, payload) => recorder.arrived(payload.readUInt32BE(0), fleetNow()));
        await client.subscribeAsync(topics[i], { qos: 1 });
        return client;
      },
      (done) => progress(`floor connecting ${done}/${count}`),
    );
    const connectMs = performance.now() - started;
    const publisher = await mqtt.connectAsync(url, { clientId: `floor-${runId}-pub`, clean: true, protocolVersion: 4, reconnectPeriod: 0, log: silent });
    noDelay(publisher);
    return new BareFleet(count, topics, subscribers, publisher, connectMs);
  }

  send(seq: number, device: number): void {
    const payload = Buffer.from(this.#payload);
    payload.writeUInt32BE(seq, 0);
    this.publisher.publish(this.topics[device], payload, { qos: 1 });
  }

  status(): string {
    return `connected ${this.subscribers.filter((c) => c.connected).length}/${this.devices}`;
  }

  async close(): Promise<void> {
    await this.publisher.endAsync();
    await inBatches(this.subscribers.length, 500, (i) => this.subscribers[i].endAsync());
  }
}
