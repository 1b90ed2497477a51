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
import type { ChargeStatus } from "../../firmware/qr-display/charge-ack";
import { decodeProtocolCbor, encodeProtocolCbor, type CborPlain } from "./cbor";
import { sealEnvelope, type DeviceKey } from "./confirmation";
import type { PaymentService } from "./payment-service";

export const DEFAULT_CHARGE_EXPIRY_MS = 5 * 60_000;
const DEFAULT_ACK_TIMEOUT_MS = 10_000;

export interface UpiChargeFields {
  /** A complete link from the PSP (signed or not): the device shows it exactly as given. */
  link?: string;
  pa?: string;
  pn?: string;
  mc?: string;
  tid?: string;
  tn?: string;
  mam?: string;
  url?: string;
  mode?: string;
  purpose?: string;
  orgid?: string;
}

export interface EmvChargeFields {
  /** A complete EMVCo payload: the device checks its rules and amount and shows it exactly as given. */
  payload?: string;
  /** Merchant account information by id (02-51); templates as TLV text (see mpmTemplate). */
  accounts?: Record<string, string>;
  mcc?: string;
  country?: string;
  name?: string;
  city?: string;
  postalCode?: string;
  language?: { preference: string; name: string; city?: string };
  billNumber?: string;
  storeLabel?: string;
  terminalLabel?: string;
  purpose?: string;
  /** What the screen calls the code ("Alipay+", "UPI Global"...). */
  label?: string;
}

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

export interface ChargeAckMessage {
  deviceId: string;
  status: ChargeStatus;
  reference: string | undefined;
  reason?: string;
  message?: string;
  transactionId?: string;
  amountMinor?: number;
  currency?: string;
  codes?: { upi?: string; emv?: string };
  at: number;
}

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

function defined(map: Record<string, CborPlain | undefined>): Record<string, CborPlain> {
  const out: Record<string, CborPlain> = {};
  for (const [key, value] of Object.entries(map)) if (value !== undefined) out[key] = value;
  return out;
}

/** The CBOR body of a "show" charge request. */
export function encodeChargeBody(spec: ChargeSpec & { reference: string }, issuedAt: number, expiresAt: number): Uint8Array {
  const body: Record<string, CborPlain> = { v: 1, ref: spec.reference, amt: spec.amountMinor, cur: spec.currency, ts: issuedAt, exp: expiresAt, dev: spec.deviceId };
  if (spec.upi) body.upi = defined({ ...spec.upi });
  if (spec.emv) {
    const e = spec.emv;
    body.emv = defined({
      payload: e.payload,
      acct: e.accounts,
      mcc: e.mcc,
      cc: e.country,
      name: e.name,
      city: e.city,
      zip: e.postalCode,
      lang: e.language && defined({ pref: e.language.preference, name: e.language.name, city: e.language.city }),
      bill: e.billNumber,
      store: e.storeLabel,
      term: e.terminalLabel,
      purpose: e.purpose,
      label: e.label,
    });
  }
  return encodeProtocolCbor(body);
}

export function encodeCancelBody(deviceId: string, reference: string, issuedAt: number): Uint8Array {
  return encodeProtocolCbor({ v: 1, op: "cancel", ref: reference, ts: issuedAt, dev: deviceId });
}

const STATUSES: readonly ChargeStatus[] = ["shown", "rejected", "paid", "mismatch", "expired", "cancelled", "replaced"];

export function parseChargeAck(deviceId: string, payload: Uint8Array): ChargeAckMessage | undefined {
  let value: unknown;
  try {
    value = decodeProtocolCbor(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const status = STATUSES.find((s) => s === m.st);
  if (m.v !== 1 || !status || typeof m.at !== "number") return undefined;
  const text = (key: string) => (typeof m[key] === "string" ? (m[key] as string) : undefined);
  const ack: ChargeAckMessage = { deviceId, status, reference: text("ref"), at: m.at };
  if (text("rc") !== undefined) ack.reason = text("rc");
  if (text("msg") !== undefined) ack.message = text("msg");
  if (text("txn") !== undefined) ack.transactionId = text("txn");
  if (typeof m.amt === "number") ack.amountMinor = m.amt;
  if (text("cur") !== undefined) ack.currency = text("cur");
  if (typeof m.qr === "object" && m.qr !== null) {
    const qr = m.qr as Record<string, unknown>;
    ack.codes = {};
    if (typeof qr.upi === "string") ack.codes.upi = qr.upi;
    if (typeof qr.emv === "string") ack.codes.emv = qr.emv;
  }
  return ack;
}

/** Publishes charges to devices and follows their charge acks, on an existing MQTT connection. */
export class ChargeService {
  readonly #listeners = new Set<(ack: ChargeAckMessage) => void>();

  private constructor(readonly client: MqttClient, private readonly keyFor: (deviceId: string) => DeviceKey | undefined) {
    client.on("message", (topic, payload) => {
      const parts = topic.split("/");
      if (parts.length !== 5 || parts[3] !== "charge" || parts[4] !== "ack") return;
      const ack = parseChargeAck(parts[2], new Uint8Array(payload));
      if (ack) for (const listener of this.#listeners) listener(ack);
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
    return { deviceId: spec.deviceId, reference, amountMinor: spec.amountMinor, currency: spec.currency, expiresAt, codes: ack.codes ?? {} };
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
