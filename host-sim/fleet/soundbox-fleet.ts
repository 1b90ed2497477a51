/**
 * N virtual soundboxes and the payment service that pays them: each message of a load step is a
 * signed confirmation published by PaymentService (retried until acked), verified, journaled,
 * announced (queued for speech) and acked by one device's firmware. A message "arrives" when the
 * device's firmware logs its announcement; acks are counted beside.
 *
 * The devices run in `workers` worker threads of this process (device-worker.ts, bundled by
 * worker-bundle.ts), or with 0 in this thread; the payment service and the pacing stay in this
 * thread.
 */
import { randomBytes } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { DeviceKey } from "../service/confirmation";
import { PaymentService, type PaymentServiceOptions } from "../service/payment-service";
import { DeviceGroup, fleetDeviceId, fleetTransactionPrefix, type DeviceGroupOptions, type GroupCounts } from "./device-group";
import type { FromWorker, ToWorker } from "./device-worker";
import type { LoadTarget } from "./load";
import type { Recorder } from "./recorder";
import { DEVICE_THREAD_LIMITS } from "./gc-settings";
import { deviceWorkerBundle } from "./worker-bundle";

export interface SoundboxFleetOptions {
  brokerUrl: string;
  devices: number;
  runId: string;
  recorder: Recorder;
  /** Devices starting at once, per group; the next ones wait until these are connected. */
  concurrency: number;
  /** Worker threads for the devices; 0 keeps them in this thread. */
  workers: number;
  progress: (line: string) => void;
  service?: PaymentServiceOptions;
  /**
   * After the run, remove what the devices leave on the broker: their persistent sessions and
   * retained status messages. For a broker that outlives the run (--broker URL).
   */
  cleanUp: boolean;
}

/** One group of devices, here or in a worker thread. */
interface GroupHandle {
  /** Resolves with the time the group took to connect its devices, ms. */
  started: Promise<number>;
  stop(cleanUp: boolean): Promise<void>;
}

function sum(all: GroupCounts[]): GroupCounts {
  const total: GroupCounts = { connects: 0, disconnects: 0, rejected: 0, deviceDuplicates: 0, timers: 0 };
  for (const c of all) for (const key of Object.keys(total) as (keyof GroupCounts)[]) total[key] += c[key];
  return total;
}

export class SoundboxFleet implements LoadTarget {
  readonly label = "fleet";
  readonly #o: SoundboxFleetOptions;
  readonly #keys: DeviceKey[] = [];
  readonly #ids: string[] = [];
  readonly #prefix: string;
  readonly #groups: GroupHandle[] = [];
  readonly #groupCounts: GroupCounts[] = [];
  #service: PaymentService | undefined;
  acks = 0;
  sendErrors = 0;
  connectMs = 0;

  constructor(options: SoundboxFleetOptions) {
    this.#o = options;
    this.#prefix = fleetTransactionPrefix(options.runId);
  }

  get devices(): number {
    return this.#o.devices;
  }

  get counts(): GroupCounts {
    return sum(this.#groupCounts);
  }

  get service(): PaymentService {
    if (!this.#service) throw new Error("fleet not started");
    return this.#service;
  }

  /** Starts every group until all devices are connected and settled, then the payment service. */
  async start(): Promise<void> {
    const o = this.#o;
    for (let i = 0; i < o.devices; i++) {
      this.#keys.push({ keyId: "k1", key: new Uint8Array(randomBytes(32)) });
      this.#ids.push(fleetDeviceId(o.runId, i));
    }
    const groups = Math.max(1, o.workers);
    const size = Math.ceil(o.devices / groups);
    const started = performance.now();
    const ticker = setInterval(() => {
      const c = this.counts;
      o.progress(`fleet start-up: ${c.connects}/${o.devices} connected, ${c.timers} timers armed (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }, 1000);
    try {
      for (let g = 0; g < groups && g * size < o.devices; g++) {
        const first = g * size;
        const options: DeviceGroupOptions = { brokerUrl: o.brokerUrl, runId: o.runId, first, keys: this.#keys.slice(first, first + size), concurrency: o.concurrency };
        this.#groupCounts.push({ connects: 0, disconnects: 0, rejected: 0, deviceDuplicates: 0, timers: 0 });
        this.#groups.push(o.workers === 0 ? this.#local(options, g) : this.#worker(options, g));
      }
      // Groups connect side by side: the fleet is connected when the slowest group is.
      this.connectMs = Math.max(...(await Promise.all(this.#groups.map((group) => group.started))));
    } finally {
      clearInterval(ticker);
    }
    const index = new Map(this.#ids.map((id, i) => [id, i]));
    this.#service = await PaymentService.connect(o.brokerUrl, (id) => this.#keys[index.get(id) ?? -1], {
      clientId: `fleet-service-${o.runId}`,
      clean: true,
      debugLog: false,
      ...o.service,
    });
    this.#service.onAck(() => this.acks++);
  }

  send(seq: number, device: number): void {
    this.service
      .publish({ deviceId: this.#ids[device], amountMinor: 100 + (seq % 99_900), currency: "INR", provider: "UPI", transactionId: this.#prefix + seq })
      .catch(() => this.sendErrors++);
  }

  status(): string {
    const c = this.counts;
    return `online ${c.connects - c.disconnects}/${this.devices} acks ${this.acks} retries ${this.service.stats().retries} timers ${c.timers}`;
  }

  /** Orderly stop of every device (offline status, DISCONNECT), then the service. */
  async stop(): Promise<void> {
    await Promise.all(this.#groups.map((group) => group.stop(this.#o.cleanUp)));
    await this.#service?.close();
    if (this.#o.cleanUp) this.#o.progress(`fleet: removed the sessions and retained status of ${this.devices} devices from the broker`);
  }

  #local(options: DeviceGroupOptions, g: number): GroupHandle {
    const group = new DeviceGroup(options, {
      announced: (seq, at) => this.#o.recorder.arrived(seq, at),
      counted: (counts) => (this.#groupCounts[g] = counts),
      progress: this.#o.progress,
    });
    return { started: group.start(), stop: (cleanUp) => group.stop(cleanUp) };
  }

  #worker(options: DeviceGroupOptions, g: number): GroupHandle {
    const worker = new Worker(deviceWorkerBundle(), { workerData: options, resourceLimits: DEVICE_THREAD_LIMITS });
    let onStarted!: (connectMs: number) => void;
    let onStopped!: () => void;
    let onFailed!: (error: Error) => void;
    const started = new Promise<number>((resolve, reject) => {
      onStarted = resolve;
      onFailed = reject;
    });
    const stopped = new Promise<void>((resolve) => (onStopped = resolve));
    worker.on("message", (message: FromWorker) => {
      switch (message.type) {
        case "events": {
          const pairs = message.announced;
          for (let i = 0; i < pairs.length; i += 2) this.#o.recorder.arrived(pairs[i], pairs[i + 1]);
          this.#groupCounts[g] = message.counts;
          return;
        }
        case "progress":
          this.#o.progress(message.line);
          return;
        case "started":
          onStarted(message.connectMs);
          return;
        case "stopped":
          onStopped();
          return;
        case "failed":
          onFailed(new Error(`fleet worker ${g}: ${message.message}`));
          onStopped();
          return;
      }
    });
    worker.on("error", (error) => {
      onFailed(error);
      onStopped();
    });
    worker.on("exit", () => onStopped());
    return {
      started,
      stop: async (cleanUp) => {
        worker.postMessage({ type: "stop", cleanUp } satisfies ToWorker);
        await stopped;
        await worker.terminate();
      },
    };
  }
}
