/**
 * The payment service's side of NFC taps (docs/protocol.md, "NFC taps"): it takes what QR
 * displays publish on pt/v1/{id}/tap, authenticates it with the device's key, refuses replays and
 * stale taps, and hands each verified tap to its listeners (for the simulator: the acquirer's
 * decision, acquirer.ts; the web UI). Plain MQTT on the service's own connection.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { MqttClient } from "mqtt";
import { decodeNdef, viewRecord, type RecordView } from "../../firmware/nfc/ndef";
import { deviceTopics, PROTOCOL_PREFIX } from "../../firmware/protocol/topics";
import { TAG_DOMAINS } from "../../firmware/protocol/tag";
import { decodeProtocolCbor } from "../service/cbor";
import type { DeviceKey } from "../service/confirmation";
import type { PaymentService } from "../service/payment-service";

/** How far a tap's time may be from the service's, and how long its nonce is remembered. */
export const TAP_WINDOW_MS = 10 * 60_000;

const KINDS = ["type2", "type4", "card"] as const;

export interface TapEvent {
  deviceId: string;
  uid: string;
  kind: (typeof KINDS)[number];
  atqa: number;
  sak: number;
  at: number;
  ndef: Uint8Array | undefined;
  /** The NDEF records, when the message decodes here too. */
  records: RecordView[] | undefined;
  /** The device's reason the message did not decode, or this side's. */
  ndefError: string | undefined;
  /** The payment application a card or phone wallet named (hex), when it named one. */
  aid: string | undefined;
  charge: { reference: string; amountMinor: number; currency: string } | undefined;
}

export type TapRefusalReason = "bad_envelope" | "unknown_key" | "bad_tag" | "bad_body" | "wrong_device" | "stale" | "replayed";

export interface TapRefusal {
  deviceId: string;
  reason: TapRefusalReason;
  detail: string;
}

class Refused extends Error {
  constructor(
    readonly reason: TapRefusalReason,
    detail: string,
  ) {
    super(detail);
  }
}

const refuse = (reason: TapRefusalReason, detail: string): never => {
  throw new Refused(reason, detail);
};

function map(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) refuse(what === "envelope" ? "bad_envelope" : "bad_body", `${what} is not a map`);
  return value as Record<string, unknown>;
}

export class TapReceiver {
  readonly received: TapEvent[] = [];
  readonly refused: TapRefusal[] = [];
  readonly #taps = new Set<(tap: TapEvent) => void>();
  readonly #refusals = new Set<(refusal: TapRefusal) => void>();
  readonly #nonces = new Map<string, number>();

  constructor(
    private readonly keyFor: (deviceId: string) => DeviceKey | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Subscribes `client` to every device's taps (QoS 1) and handles them. */
  static async attach(client: MqttClient, keyFor: (deviceId: string) => DeviceKey | undefined): Promise<TapReceiver> {
    const receiver = new TapReceiver(keyFor);
    client.on("message", (topic, payload) => {
      const parts = topic.split("/");
      if (parts.length === 4 && `${parts[0]}/${parts[1]}` === PROTOCOL_PREFIX && parts[3] === "tap") receiver.handle(parts[2], new Uint8Array(payload));
    });
    await client.subscribeAsync(`${PROTOCOL_PREFIX}/+/tap`, { qos: 1 });
    return receiver;
  }

  onTap(listener: (tap: TapEvent) => void): () => void {
    this.#taps.add(listener);
    return () => this.#taps.delete(listener);
  }

  onRefused(listener: (refusal: TapRefusal) => void): () => void {
    this.#refusals.add(listener);
    return () => this.#refusals.delete(listener);
  }

  /** One message from a device's tap topic. */
  handle(deviceId: string, payload: Uint8Array): TapEvent | TapRefusal {
    try {
      const tap = this.#verify(deviceId, payload);
      this.received.push(tap);
      if (this.received.length > 100) this.received.shift();
      for (const listener of this.#taps) listener(tap);
      return tap;
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      const refusal: TapRefusal = { deviceId, reason: error.reason, detail: error.message };
      this.refused.push(refusal);
      if (this.refused.length > 100) this.refused.shift();
      for (const listener of this.#refusals) listener(refusal);
      return refusal;
    }
  }

  #verify(deviceId: string, payload: Uint8Array): TapEvent {
    let decoded: unknown;
    try {
      decoded = decodeProtocolCbor(payload);
    } catch (error) {
      refuse("bad_envelope", `not CBOR: ${(error as Error).message}`);
    }
    const envelope = map(decoded, "envelope");
    const { kid, body, tag } = envelope;
    if (envelope.v !== 1 || typeof kid !== "string" || !(body instanceof Uint8Array) || !(tag instanceof Uint8Array) || tag.length !== 32)
      refuse("bad_envelope", "expected {v: 1, kid: text, body: bytes, tag: 32 bytes}");
    const key = this.keyFor(deviceId);
    if (!key || key.keyId !== kid) refuse("unknown_key", `no key "${String(kid)}" for device ${deviceId}`);
    const expected = createHmac("sha256", (key as DeviceKey).key).update(TAG_DOMAINS.tap, "utf8").update(body as Uint8Array).digest();
    if (!timingSafeEqual(expected, tag as Uint8Array)) refuse("bad_tag", `tag does not match key "${String(kid)}"`);

    let inner: unknown;
    try {
      inner = decodeProtocolCbor(body as Uint8Array);
    } catch (error) {
      refuse("bad_body", `body is not CBOR: ${(error as Error).message}`);
    }
    const b = map(inner, "body");
    if (b.v !== 1) refuse("bad_body", `body version ${String(b.v)} is not 1`);
    if (b.dev !== deviceId) refuse("wrong_device", `body names ${JSON.stringify(b.dev)}, the topic ${deviceId}`);
    const at = typeof b.at === "bigint" ? Number(b.at) : b.at;
    if (typeof at !== "number" || !Number.isSafeInteger(at)) refuse("bad_body", '"at" must be an integer');
    const now = this.now();
    if (Math.abs(now - (at as number)) > TAP_WINDOW_MS) refuse("stale", `tapped at ${String(at)}, ${Math.round((now - (at as number)) / 1000)} s from now`);
    if (!(b.n instanceof Uint8Array) || b.n.length !== 8) refuse("bad_body", '"n" must be an 8-byte nonce');
    const nonce = Buffer.from(b.n as Uint8Array).toString("hex");
    for (const [seen, when] of this.#nonces) if (now - when > TAP_WINDOW_MS) this.#nonces.delete(seen);
    if (this.#nonces.has(nonce)) refuse("replayed", `nonce ${nonce} was seen already`);
    if (!(b.uid instanceof Uint8Array) || ![4, 7, 10].includes(b.uid.length)) refuse("bad_body", '"uid" must be 4, 7 or 10 bytes');
    if (!KINDS.includes(b.kind as TapEvent["kind"])) refuse("bad_body", `"kind" ${JSON.stringify(b.kind)} is not one of ${KINDS.join(", ")}`);
    if (typeof b.atqa !== "number" || typeof b.sak !== "number") refuse("bad_body", '"atqa" and "sak" must be integers');
    this.#nonces.set(nonce, at as number);

    const ndef = b.ndef instanceof Uint8Array ? b.ndef : undefined;
    let records: RecordView[] | undefined;
    let ndefError = typeof b.err === "string" ? b.err : undefined;
    if (ndef && !ndefError) {
      try {
        records = decodeNdef(ndef).map(viewRecord);
      } catch (error) {
        ndefError = (error as Error).message;
      }
    }
    if (b.aid !== undefined && !(b.aid instanceof Uint8Array && b.aid.length >= 5 && b.aid.length <= 16)) refuse("bad_body", '"aid" must be 5 to 16 bytes');
    let charge: TapEvent["charge"];
    if (b.chg !== undefined) {
      const c = map(b.chg, "chg");
      if (typeof c.ref !== "string" || typeof c.amt !== "number" || typeof c.cur !== "string") refuse("bad_body", '"chg" must be {ref, amt, cur}');
      charge = { reference: c.ref as string, amountMinor: c.amt as number, currency: c.cur as string };
    }
    return {
      deviceId,
      uid: Buffer.from(b.uid as Uint8Array).toString("hex"),
      kind: b.kind as TapEvent["kind"],
      atqa: b.atqa as number,
      sak: b.sak as number,
      at: at as number,
      ndef,
      records,
      ndefError,
      aid: b.aid instanceof Uint8Array ? Buffer.from(b.aid).toString("hex") : undefined,
      charge,
    };
  }
}

const attached = new WeakMap<MqttClient, Promise<TapReceiver>>();

/** The TapReceiver riding on a PaymentService's connection, attached once. */
export function tapsFor(service: PaymentService, keyFor: (deviceId: string) => DeviceKey | undefined): Promise<TapReceiver> {
  let receiver = attached.get(service.client);
  if (!receiver) {
    receiver = TapReceiver.attach(service.client, keyFor);
    attached.set(service.client, receiver);
  }
  return receiver;
}

/** The topic a device's taps arrive on. */
export function tapTopic(deviceId: string): string {
  return deviceTopics(deviceId).tap;
}
