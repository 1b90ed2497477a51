/**
 * The MQTT session and the network link, and acks that survive a broker outage, with the real
 * firmware on the simulator's HAL against real brokers: a private mosquitto that is frozen, killed
 * and restarted, and the embedded aedes broker that keeps its sessions through an outage.
 *
 * Every wait is for a condition or an event; every assertion is about the order of the device's
 * own events (its log) and what the payment service recorded, never about how long anything took.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { VoicePack } from "../../host-sim/audio/voice-pack";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../host-sim/broker/embedded";
import type { DeviceEvent } from "../../host-sim/device/event-log";
import { SimDevice } from "../../host-sim/device/sim-device";
import type { DeviceKey } from "../../host-sim/service/confirmation";
import { PaymentService, type DeviceAck } from "../../host-sim/service/payment-service";
import type { Backoff } from "../../firmware/session";
import { Mosquitto } from "../support/mosquitto";

/** Short delays so a run of failures fits in a few seconds; the rules are the firmware's own. */
const BACKOFF: Backoff = { initialMs: 100, maxMs: 3200, stableMs: 60_000 };
const voice = new VoicePack("en-in");

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function soundbox(deviceId: string, port: number, key: DeviceKey): SimDevice {
  return new SimDevice({ deviceId, product: "soundbox", language: "en-in", broker: { host: "127.0.0.1", port }, key, voice, reconnect: BACKOFF, speechSpeed: 20 });
}

/** The session's own account of itself since `from`: attempts (and why), connections, losses. */
function story(device: SimDevice, from: number): string[] {
  return device.log.events.slice(from).flatMap((e) => {
    if (e.name === "connecting") return [`connecting ${e.fields.cause}`];
    if (e.name === "connected" || e.name === "disconnected") return [e.name];
    if (e.name === "session" && e.fields.state === "no-link") return ["no-link"];
    return [];
  });
}

const named = (events: DeviceEvent[], name: string) => events.filter((e) => e.name === name);

/** Each loss's delay lies within its backoff step: [ceiling / 2, ceiling], the ceiling doubling per failure. */
function expectGrowingDelays(losses: DeviceEvent[]): void {
  losses.forEach((loss, n) => {
    const ceiling = Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** n);
    const delay = loss.fields.retryInMs as number;
    expect({ n, delay, withinStep: delay >= ceiling / 2 && delay <= ceiling }).toEqual({ n, delay, withinStep: true });
  });
}

describe("the session and the network link (private mosquitto)", () => {
  let broker: Mosquitto;
  let service: PaymentService;
  const key = { keyId: "k1", key: new Uint8Array(randomBytes(32)) };
  const devices: SimDevice[] = [];
  let flapper: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    service = await PaymentService.connect(broker.url, () => key, { clientId: "link-service", reconnectPeriodMs: 50, delivery: { ackTimeoutMs: 300, maxBackoffMs: 600 } });
  });

  afterEach(() => {
    if (flapper) clearInterval(flapper);
    flapper = undefined;
    for (const device of devices.splice(0)) device.stop();
  });

  afterAll(async () => {
    await service?.close();
    await broker?.stop();
  });

  async function online(deviceId: string): Promise<SimDevice> {
    const device = soundbox(deviceId, broker.port, key);
    devices.push(device);
    const connected = device.log.waitFor((e) => e.name === "connected", 10_000);
    device.start();
    await connected;
    return device;
  }

  it("Wi-Fi back after its backoff ran out: connected at once, and a payment sent meanwhile is announced", async () => {
    const device = await online("link-return");
    const down = device.log.events.length;
    device.linkDown();
    // The session enters no-link only when its delay has run out with the link still down.
    await device.log.waitFor((e) => e.name === "session" && e.fields.state === "no-link", 10_000);
    const payment = await service.publish({ deviceId: "link-return", amountMinor: 4200, currency: "INR", provider: "UPI" });
    expect(story(device, down)).toEqual(["disconnected", "no-link"]);

    const up = device.log.events.length;
    const connected = device.log.waitFor((e) => e.name === "connected");
    device.linkUp();
    await connected;
    expect((await service.waitForAck(payment.transactionId)).status).toBe("announced");
    // Straight from the link coming up to the connection: no timer, no failed attempt in between.
    expect(story(device, up)).toEqual(["connecting link-up", "connected"]);
    expect(named(device.log.events, "announced").map((e) => e.fields.txn)).toEqual([payment.transactionId]);
  });

  it("broker down, link flapping: attempts follow the backoff of broker failures, not the flaps", async () => {
    const device = await online("link-flap-broker");
    const from = device.log.events.length;
    await broker.kill();
    await until(() => named(device.log.events.slice(from), "disconnected").length > 0, "the loss");
    let flaps = 0;
    flapper = setInterval(() => {
      if (device.network.status().link === "up") device.network.set({ link: "down", rssi: undefined });
      else {
        device.network.set({ link: "up", rssi: -60 });
        flaps++;
      }
    }, 7);
    // Six failures with the link flapping throughout (the first loss, then five failed attempts).
    let snapshot: DeviceEvent[] = [];
    await until(() => {
      snapshot = device.log.events.slice(from);
      return named(snapshot, "disconnected").length >= 6;
    }, "six failures");
    clearInterval(flapper);
    flapper = undefined;
    const losses = named(snapshot, "disconnected");
    const attempts = named(snapshot, "connecting");
    console.log(`link flapping, broker down: ${flaps} link-ups, ${attempts.length} connect attempts, delays ${losses.map((l) => l.fields.retryInMs).join(", ")} ms`);
    // One attempt per failure's delay, however many times the link came up.
    expect(attempts.length).toBe(losses.length - 1);
    expect(flaps).toBeGreaterThan(attempts.length);
    expectGrowingDelays(losses.slice(0, 6));
    // An attempt made on a link-up comes only after the delay ran out with the link down.
    const order = story(device, from);
    order.forEach((step, i) => {
      if (step === "connecting link-up") expect(order[i - 1]).toBe("no-link");
    });

    device.network.set({ link: "up", rssi: -60 });
    const back = device.log.waitFor((e) => e.name === "connected", 15_000);
    await broker.restart();
    await back;
  });

  it("a link that drops every connection as soon as it is made: the delays still grow", async () => {
    const device = await online("link-flap-connected");
    const from = device.log.events.length;
    const drop = () => {
      device.linkDown();
      device.linkUp();
    };
    let drops = 1;
    const stop = device.log.listen((e) => {
      if (e.name !== "connected" || drops >= 6) return;
      drops++;
      setImmediate(drop);
    });
    drop();
    await until(() => named(device.log.events.slice(from), "connected").length >= 6, "six connections, five of them dropped at once");
    stop();
    const events = device.log.events.slice(from);
    const losses = named(events, "disconnected");
    console.log(`link dropping each connection: ${losses.length} losses, delays ${losses.map((l) => l.fields.retryInMs).join(", ")} ms`);
    expect(losses.length).toBe(6);
    // Connections that do not last `stableMs` back off like failed attempts: no reconnect storm.
    expectGrowingDelays(losses);
    expect(named(events, "connecting").length).toBe(6);
  });
});

describe("an ack in flight when the broker dies", () => {
  const key = { keyId: "k1", key: new Uint8Array(randomBytes(32)) };

  /** Every ack the service hears, in order, by transaction. */
  function recordAcks(service: PaymentService): Map<string, string[]> {
    const heard = new Map<string, string[]>();
    service.onAck((ack: DeviceAck) => {
      if (!ack.transactionId) return;
      heard.set(ack.transactionId, [...(heard.get(ack.transactionId) ?? []), ack.status]);
    });
    return heard;
  }

  it("aedes keeps its sessions through the outage: the service settles announced, announced once", async () => {
    const broker: EmbeddedBroker = await startEmbeddedBroker();
    const device = soundbox("ack-aedes", broker.port, key);
    const service = await PaymentService.connect(broker.url, () => key, { clientId: "ack-aedes-service", reconnectPeriodMs: 50, delivery: { ackTimeoutMs: 300, maxBackoffMs: 600 } });
    try {
      const heard = recordAcks(service);
      const connected = device.log.waitFor((e) => e.name === "connected");
      device.start();
      await connected;
      let outage: Promise<void> | undefined;
      const stop = device.log.listen((e) => {
        // Between the announcement and the ack: every connection drops at once, sessions stay.
        if (e.name === "announced" && !outage) outage = broker.pause();
      });
      const payment = await service.publish({ deviceId: "ack-aedes", amountMinor: 19900, currency: "INR", provider: "Paytm" });
      await until(() => outage !== undefined, "the announcement");
      stop();
      await outage;
      await broker.resume();
      const ack = await service.waitForAck(payment.transactionId, 20_000);
      expect(ack.status).toBe("announced");
      await until(() => service.state(payment.transactionId) === "announced", "the delivery to settle");
      expect(heard.get(payment.transactionId)?.[0]).toBe("announced");
      expect(named(device.log.events, "announced").map((e) => e.fields.txn)).toEqual([payment.transactionId]);
      // The first ack never reached the broker: the reconnect sent it again.
      expect(named(device.log.events, "acks-resent").map((e) => e.fields.count)).toEqual([1]);
    } finally {
      device.stop();
      await service.close();
      await broker.close();
    }
  });

  it("mosquitto frozen after the announcement and killed: the restarted broker gets the ack, the service settles announced", async () => {
    const broker = await Mosquitto.start();
    const device = soundbox("ack-mosquitto", broker.port, key);
    const service = await PaymentService.connect(broker.url, () => key, { clientId: "ack-mosquitto-service", reconnectPeriodMs: 50, delivery: { ackTimeoutMs: 300, maxBackoffMs: 600 } });
    try {
      const heard = recordAcks(service);
      const connected = device.log.waitFor((e) => e.name === "connected");
      device.start();
      await connected;
      let frozen = false;
      const stop = device.log.listen((e) => {
        if (e.name === "announced" && !frozen) {
          frozen = true;
          broker.freeze();
        }
      });
      const payment = await service.publish({ deviceId: "ack-mosquitto", amountMinor: 35000, currency: "INR", provider: "UPI" });
      await until(() => frozen, "the announcement");
      stop();
      // The device stays off the network until the new broker has the service's subscription
      // again: mosquitto runs without persistence, so an ack that came earlier would reach nobody.
      device.linkDown();
      await broker.kill();
      await broker.restart();
      await until(() => service.client.connected, "the service to reconnect");
      await service.client.subscribeAsync(`pt/v1/+/ack`, { qos: 1 });
      const back = device.log.waitFor((e) => e.name === "connected", 15_000);
      device.linkUp();
      await back;
      const ack = await service.waitForAck(payment.transactionId, 20_000);
      expect(ack.status).toBe("announced");
      expect(heard.get(payment.transactionId)?.[0]).toBe("announced");
      expect(service.state(payment.transactionId)).toBe("announced");
      expect(named(device.log.events, "announced").map((e) => e.fields.txn)).toEqual([payment.transactionId]);
      expect(device.firmware.session.state).toBe("online");
    } finally {
      device.stop();
      await service.close();
      await broker.stop();
    }
  });
});
