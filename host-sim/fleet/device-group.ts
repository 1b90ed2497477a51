/**
 * A group of virtual soundboxes that share one thread: their timers (one heap), their audio
 * callbacks (one setImmediate), their events. A fleet runs one group in its own thread, or one
 * per worker thread (device-worker.ts) so that the devices and the payment service use more than
 * one core of the same process. Events leave the group through a sink as sequence numbers and
 * times on the process-wide clock (clock.ts), so the thread that records them does not matter.
 */
import mqtt from "mqtt";
import type { LogFields } from "../../hal/index";
import { deviceTopics } from "../../firmware/protocol/topics";
import type { DeviceKey } from "../service/confirmation";
import { inBatches } from "./batches";
import { fleetNow } from "./clock";
import { FleetScheduler } from "./scheduler";
import { InstantPlayback } from "./silent-audio";
import { VirtualSoundbox, type FleetEvent } from "./virtual-soundbox";

export function fleetDeviceId(runId: string, index: number): string {
  return `fleet-${runId}-${String(index).padStart(5, "0")}`;
}

export function fleetTransactionPrefix(runId: string): string {
  return `F${runId}x`;
}

export interface GroupCounts {
  /** Connections made, reconnections included. */
  connects: number;
  disconnects: number;
  rejected: number;
  /** Copies the devices refused as duplicates (retries that crossed an ack). */
  deviceDuplicates: number;
  /** Timers armed in the group. */
  timers: number;
}

export interface GroupSink {
  announced(seq: number, at: number): void;
  /** Something other than an announcement changed the counts. */
  counted(counts: GroupCounts): void;
  progress(line: string): void;
}

export interface DeviceGroupOptions {
  brokerUrl: string;
  runId: string;
  /** Index of the first device; the group holds `keys.length` devices from there. */
  first: number;
  keys: DeviceKey[];
  concurrency: number;
}

export class DeviceGroup {
  readonly scheduler: FleetScheduler;
  readonly #playback = new InstantPlayback();
  readonly #boxes: VirtualSoundbox[] = [];
  readonly #prefix: string;
  readonly #counts: GroupCounts = { connects: 0, disconnects: 0, rejected: 0, deviceDuplicates: 0, timers: 0 };
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(
    private readonly o: DeviceGroupOptions,
    private readonly sink: GroupSink,
  ) {
    this.scheduler = new FleetScheduler((error) => sink.progress(`fleet: a device timer failed: ${(error as Error)?.message ?? String(error)}`));
    this.#prefix = fleetTransactionPrefix(o.runId);
    const { hostname, port } = new URL(o.brokerUrl);
    o.keys.forEach((key, k) => {
      const index = o.first + k;
      this.#boxes.push(
        new VirtualSoundbox({
          index,
          deviceId: fleetDeviceId(o.runId, index),
          key,
          broker: { host: hostname, port: Number(port || 1883) },
          scheduler: this.scheduler,
          playback: this.#playback,
          onEvent: (_index, event, fields) => this.#event(event, fields),
        }),
      );
    });
  }

  get counts(): GroupCounts {
    return { ...this.#counts, timers: this.scheduler.live };
  }

  /**
   * Starts the devices, `concurrency` at a time, each batch once the previous is connected, and
   * lets their start-up settle. Resolves with the time it took to connect them all, ms.
   */
  async start(): Promise<number> {
    const { concurrency } = this.o;
    const total = this.#boxes.length;
    const started = performance.now();
    for (let first = 0; first < total; first += concurrency) {
      const last = Math.min(total, first + concurrency);
      for (let i = first; i < last; i++) this.#boxes[i].start();
      await this.#connected(last, 60_000);
      this.sink.counted(this.counts);
    }
    const connectMs = performance.now() - started;
    await this.#settle(20_000);
    return connectMs;
  }

  async stop(cleanUp: boolean): Promise<void> {
    for (const box of this.#boxes) box.stop();
    this.scheduler.stop();
    if (cleanUp) await this.#cleanUp();
  }

  /** A clean-session connect under each device's id ends its persistent session (MQTT 3.1.2.4). */
  async #cleanUp(): Promise<void> {
    await inBatches(this.#boxes.length, this.o.concurrency, async (i) => {
      const id = this.#boxes[i].deviceId;
      const client = await mqtt.connectAsync(this.o.brokerUrl, { clientId: id, clean: true, protocolVersion: 4, reconnectPeriod: 0 });
      await client.publishAsync(deviceTopics(id).status, Buffer.alloc(0), { qos: 1, retain: true });
      await client.endAsync();
    });
  }

  /**
   * Waits for the devices' start-up work (the soundbox's prompts settle over a few seconds) so it
   * does not fall into the first seconds of load: until each device has only its telemetry timer
   * left, or the time limit.
   */
  async #settle(limitMs: number): Promise<void> {
    const deadline = performance.now() + limitMs;
    while (this.scheduler.live > this.#boxes.length && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      // No device event says that timers fired: without this the progress line's count stands still.
      this.sink.counted(this.counts);
    }
  }

  #event(event: FleetEvent, fields: LogFields): void {
    const c = this.#counts;
    switch (event) {
      case "announced": {
        const txn = fields.txn;
        if (typeof txn === "string" && txn.startsWith(this.#prefix)) this.sink.announced(Number(txn.slice(this.#prefix.length)), fleetNow());
        return;
      }
      case "connected":
        c.connects++;
        for (const waiter of this.#waiters) if (c.connects >= waiter.count) waiter.resolve();
        this.#waiters = this.#waiters.filter((w) => c.connects < w.count);
        break;
      case "disconnected":
        c.disconnects++;
        break;
      case "rejected":
        c.rejected++;
        break;
      case "duplicate":
        c.deviceDuplicates++;
        break;
    }
    this.sink.counted(this.counts);
  }

  #connected(count: number, timeoutMs: number): Promise<void> {
    if (this.#counts.connects >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.#counts.connects} of ${count} devices connected within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}
