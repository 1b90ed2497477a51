/**
 * Charge requests, the service's half (docs/protocol.md, "Charge requests"): a charge is sealed
 * as an envelope of kind "charge" and published at QoS 1 on pt/v1/{id}/charge; the QR display
 * answers on pt/v1/{id}/charge/ack with the codes it shows, or why it refused, and later with how
 * the charge ended (paid, mismatch, expired, cancelled, replaced). The device's half is
 * firmware/qr-display (charge-request.ts, charge-desk.ts).
 */
import { randomUUID } from "node:crypto";
import type { MqttClient } from "mqtt";
import { CHARGE_REFERENCE } from "../../firmware/payments/confirmation";
import { PROTOCOL_PREFIX, deviceTopics } from "../../firmware/protocol/topics";
import { mpmTemplate } from "../../firmware/qr/emvco";
import { encodeCbor } from "../../firmware/protocol/cbor";
import { decodeChargeAck, type ChargeAck, type ChargeStatus } from "../../firmware/qr-display/charge-ack";
import { chargeRequestBody, type EmvScheme, type ShowCharge, type UpiChargeKey, type UpiScheme } from "../../firmware/qr-display/charge-request";
import { ChargeBook } from "./charge-book";
import { sealEnvelope, type DeviceKey } from "./confirmation";
import type { PaymentService } from "./payment-service";

export const DEFAULT_CHARGE_EXPIRY_MS = 5 * 60_000;
const DEFAULT_ACK_TIMEOUT_MS = 10_000;

/** A PSP's complete link (shown exactly as given), or the UPI parameters to build one. */
export type UpiChargeFields = Partial<Record<UpiChargeKey, string>> & { link?: string };

/** The EMVCo fields of a charge (the device's EmvScheme; accounts may be left out). */
export type EmvChargeFields = Partial<EmvScheme>;

export interface ChargeSpec {
  deviceId: string;
  amountMinor: number;
  /** The merchant's currency; the screen shows the amount in it. */
  currency: string;
  /** 1-25 of [A-Za-z0-9._-]; generated when absent. */
  reference?: string;
  expiresInMs?: number;
  upi?: UpiChargeFields;
  emv?: EmvChargeFields;
}

/** A charge ack and the device it came from. */
export type ChargeAckMessage = ChargeAck & { deviceId: string };

export interface CreatedCharge {
  deviceId: string;
  reference: string;
  amountMinor: number;
  currency: string;
  expiresAt: number;
  /** The codes the device put on its screen, exactly. */
  codes: { upi?: string; emv?: string };
}

/** The device refused the charge; `reason` is its code (docs/protocol.md), `message` its detail. */
export class ChargeRefusedError extends Error {
  constructor(readonly reason: string, readonly detail: string | undefined) {
    super(`device refused the charge: ${reason}${detail ? ` (${detail})` : ""}`);
    this.name = "ChargeRefusedError";
  }
}

/**
 * An example merchant for the simulator's EMVCo codes. The template's identifier is made up for
 * the demo: a real merchant gets its account templates from its acquirer.
 */
export function demoEmvFields(merchant: { vpa: string; name: string }): EmvChargeFields {
  return {
    accounts: { "26": mpmTemplate("com.example.upi-global", { "01": merchant.vpa }) },
    mcc: "5812",
    country: "IN",
    name: merchant.name.slice(0, 25),
    city: "Bengaluru",
    label: "UPI Global",
  };
}

export function newReference(now = Date.now()): string {
  return `C${now.toString(36)}${randomUUID().slice(0, 4)}`.toUpperCase();
}

/** The device's ShowCharge for a spec: the UPI link apart from the parameters, accounts always present. */
function showCharge(spec: ChargeSpec & { reference: string }, issuedAt: number, expiresAt: number): ShowCharge {
  let upi: UpiScheme | undefined;
  if (spec.upi) {
    const { link, ...fields } = spec.upi;
    upi = link === undefined ? { fields } : { link, fields };
  }
  const emv = spec.emv && { ...spec.emv, accounts: spec.emv.accounts ?? {} };
  return { op: "show", reference: spec.reference, amountMinor: spec.amountMinor, currency: spec.currency, issuedAt, expiresAt, deviceId: spec.deviceId, upi, emv };
}

/** The CBOR body of a "show" charge request. */
export function encodeChargeBody(spec: ChargeSpec & { reference: string }, issuedAt: number, expiresAt: number): Uint8Array {
  return encodeCbor(chargeRequestBody(showCharge(spec, issuedAt, expiresAt)));
}

export function encodeCancelBody(deviceId: string, reference: string, issuedAt: number): Uint8Array {
  return encodeCbor(chargeRequestBody({ op: "cancel", reference, issuedAt, deviceId }));
}

export function parseChargeAck(deviceId: string, payload: Uint8Array): ChargeAckMessage | undefined {
  const ack = decodeChargeAck(payload);
  return ack && { deviceId, ...ack };
}

/** Publishes charges to devices and follows their charge acks, on an existing MQTT connection. */
export class ChargeService {
  /** The charges this service put on displays, and how each stands. */
  readonly book = new ChargeBook();
  readonly #listeners = new Set<(ack: ChargeAckMessage) => void>();

  private constructor(readonly client: MqttClient, private readonly keyFor: (deviceId: string) => DeviceKey | undefined) {
    client.on("message", (topic, payload) => {
      const parts = topic.split("/");
      if (parts.length !== 5 || parts[3] !== "charge" || parts[4] !== "ack") return;
      const ack = parseChargeAck(parts[2], new Uint8Array(payload));
      if (!ack) return;
      this.book.acked(ack);
      for (const listener of this.#listeners) listener(ack);
    });
  }

  /** Subscribes `client` to every device's charge acks (QoS 1). */
  static async attach(client: MqttClient, keyFor: (deviceId: string) => DeviceKey | undefined): Promise<ChargeService> {
    const service = new ChargeService(client, keyFor);
    await client.subscribeAsync(`${PROTOCOL_PREFIX}/+/charge/ack`, { qos: 1 });
    return service;
  }

  onAck(listener: (ack: ChargeAckMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first ack for the charge whose status is one of `statuses`. */
  waitFor(deviceId: string, reference: string, statuses: readonly ChargeStatus[], timeoutMs = DEFAULT_ACK_TIMEOUT_MS): Promise<ChargeAckMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`no ${statuses.join("/")} ack for charge ${reference} on ${deviceId} within ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = this.onAck((ack) => {
        if (ack.deviceId !== deviceId || ack.reference !== reference || !statuses.includes(ack.status)) return;
        clearTimeout(timer);
        stop();
        resolve(ack);
      });
    });
  }

  /** Publishes raw bytes on a device's charge topic (for bad-input tests). */
  async publishRaw(deviceId: string, payload: Uint8Array): Promise<void> {
    await this.client.publishAsync(deviceTopics(deviceId).charges, Buffer.from(payload), { qos: 1 });
  }

  #key(deviceId: string): DeviceKey {
    const key = this.keyFor(deviceId);
    if (!key) throw new Error(`no key registered for device ${deviceId}`);
    return key;
  }

  /**
   * Asks the device to show a charge; resolves once it does, with the codes on its screen.
   * Throws ChargeRefusedError with the device's reason when it refuses.
   */
  async create(spec: ChargeSpec, timeoutMs = DEFAULT_ACK_TIMEOUT_MS): Promise<CreatedCharge> {
    const key = this.#key(spec.deviceId);
    const issuedAt = Date.now();
    const reference = spec.reference ?? newReference(issuedAt);
    // The device could not name a charge whose reference it cannot read in its refusal.
    if (!CHARGE_REFERENCE.test(reference)) throw new RangeError(`charge reference must be 1-25 of [A-Za-z0-9._-], got ${JSON.stringify(reference)}`);
    const expiresAt = issuedAt + (spec.expiresInMs ?? DEFAULT_CHARGE_EXPIRY_MS);
    const envelope = sealEnvelope(encodeChargeBody({ ...spec, reference }, issuedAt, expiresAt), key, "charge");
    const answered = this.waitFor(spec.deviceId, reference, ["shown", "rejected"], timeoutMs);
    await this.publishRaw(spec.deviceId, envelope);
    const ack = await answered;
    if (ack.status === "rejected") throw new ChargeRefusedError(ack.reason ?? "rejected", ack.message);
    const created = { deviceId: spec.deviceId, reference, amountMinor: spec.amountMinor, currency: spec.currency, expiresAt };
    this.book.shown(created);
    return { ...created, codes: ack.codes ?? {} };
  }

  /** Withdraws a charge from the screen; resolves with the device's cancelled (or rejected) ack. */
  async cancel(deviceId: string, reference: string, timeoutMs = DEFAULT_ACK_TIMEOUT_MS): Promise<ChargeAckMessage> {
    const envelope = sealEnvelope(encodeCancelBody(deviceId, reference, Date.now()), this.#key(deviceId), "charge");
    const answered = this.waitFor(deviceId, reference, ["cancelled", "rejected"], timeoutMs);
    await this.publishRaw(deviceId, envelope);
    return answered;
  }
}

const attached = new WeakMap<MqttClient, Promise<ChargeService>>();

/** The ChargeService riding on a PaymentService's connection, attached once. */
export function chargesFor(payments: PaymentService, keyFor: (deviceId: string) => DeviceKey | undefined): Promise<ChargeService> {
  let service = attached.get(payments.client);
  if (!service) {
    service = ChargeService.attach(payments.client, keyFor);
    attached.set(payments.client, service);
  }
  return service;
}

/**
 * Creates a charge on a device and returns the codes it shows: the entry point for the web UI and
 * other callers that hold a running simulator's payment service and key registry.
 */
export async function createChargeOnDevice(
  host: { service: PaymentService; registry: { keyFor(deviceId: string): DeviceKey | undefined } },
  spec: ChargeSpec,
): Promise<CreatedCharge> {
  const charges = await chargesFor(host.service, (id) => host.registry.keyFor(id));
  return charges.create(spec);
}

/**
 * Settles a charge as the payer's app would: a signed confirmation carrying the charge's
 * reference, for `amountMinor` (the charge's own amount unless a test pays another).
 */
export function payCharge(service: PaymentService, charge: { deviceId: string; reference: string; amountMinor: number; currency: string }, provider: string, amountMinor = charge.amountMinor) {
  return service.publish({ deviceId: charge.deviceId, amountMinor, currency: charge.currency, provider, reference: charge.reference });
}
