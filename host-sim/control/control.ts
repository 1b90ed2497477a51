/**
 * One control surface over a running simulator, shared by the web UI and by scenarios: payments,
 * forged and replayed messages, outages (the broker, a device's link, its power), buttons and
 * battery, and one stream of every event (the devices' firmware, the payment service, the broker
 * and the simulator's own actions).
 */
import { randomBytes } from "node:crypto";
import type { ButtonId } from "../../hal/buttons";
import { currencyInfo, parseAmount } from "../../firmware/money";
import { LONG_PRESS_MS } from "../../firmware/soundbox/press";
import { COMMAND_NAME } from "../../firmware/commands/command";
import type { DeviceEvent } from "../device/event-log";
import { EventLog } from "../device/event-log";
import type { SimDevice } from "../device/sim-device";
import { nextKeyId, parseCommandArgs } from "../cli/cmd";
import { UsageError } from "../cli/args";
import type { CommandResult } from "../service/command";
import { chargesFor, demoEmvFields, payCharge, type ChargeAckMessage, type ChargeService, type ChargeSpec } from "../service/charges";
import { signConfirmation, type ConfirmationFields } from "../service/confirmation";
import { DEMO_MERCHANT, type Simulator } from "../simulator";
import { SIM_TAG_KINDS, SIM_TAG_LABELS } from "../nfc/simulator-nfc";
import { FORGERIES, isForgeryKind } from "./forgery";
import type { ChargeView, DeviceState, SimState } from "./state";

export type { ChargeView, DeviceState, SimState } from "./state";

/** A request the simulator cannot carry out as asked: the caller's mistake, told precisely. */
export class ControlError extends Error {}

export const WALLETS = ["UPI", "Paytm", "PhonePe", "Google Pay", "BHIM", "Alipay", "WeChat Pay", "card"] as const;

export interface PayRequest {
  deviceId: string;
  /** Decimal in major units, as a person types it: "250.00". */
  amount: string;
  currency?: string;
  provider?: string;
  expiresInMs?: number;
  /** Chosen by the caller (scenarios name transactions before they are sent); the service makes one otherwise. */
  transactionId?: string;
}

export interface ChargeRequest {
  deviceId: string;
  amount: string;
  currency?: string;
  expiresInMs?: number;
  /** Which codes to offer; both (UPI first, the function button shows the other) by default. */
  schemes?: readonly ("upi" | "emv")[];
  reference?: string;
}

const SENT_KEPT = 1000;
const CHARGES_KEPT = 50;
const CHARGES_SHOWN = 10;

export class SimulatorControl {
  /** The payment service's side: publications, retries, acks, expiries, injected messages. */
  readonly serviceLog = new EventLog("service");
  readonly brokerLog = new EventLog("broker");
  /** What was done to the simulated world: outages, power, buttons, battery. */
  readonly worldLog = new EventLog("simulator");
  readonly #sent = new Map<string, ConfirmationFields>();
  readonly #charges = new Map<string, ChargeView>();
  readonly #chargeService: Promise<ChargeService>;
  readonly #screens = new Map<string, string>();
  readonly #events = new Set<(event: DeviceEvent) => void>();
  readonly #frames = new Set<(deviceId: string, frame: number) => void>();
  readonly #stops: (() => void)[] = [];
  #brokerBusy: Promise<void> = Promise.resolve();
  readonly #powerHolds = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(readonly simulator: Simulator) {
    for (const log of this.logs) this.#stops.push(log.listen((event) => this.#emit(event)));
    for (const device of simulator.devices.values()) {
      const id = device.options.deviceId;
      const note = (event: DeviceEvent) => {
        if (event.name === "screen" && typeof event.fields.screen === "string") this.#screens.set(id, event.fields.screen);
      };
      // The devices started before this control existed: catch up from their logs.
      device.log.events.forEach(note);
      this.#stops.push(device.log.listen(note));
      if (device.display) device.display.onFrame = (frame) => this.#frames.forEach((listener) => listener(id, frame));
    }
    const service = simulator.service;
    this.#stops.push(
      service.onDelivery((report) => {
        const fields = { txn: report.transactionId, device: report.deviceId ?? "", attempts: report.attempts };
        if (report.state === "published" && report.attempts === 1) this.serviceLog.event("info", "published", fields);
        else if (report.state === "retrying") this.serviceLog.event("warn", "retrying", fields);
        else if (report.state === "expired") this.serviceLog.event("warn", "expired", fields);
      }),
      service.onAck((ack) =>
        this.serviceLog.event(ack.status === "rejected" ? "warn" : "info", "acked", {
          txn: ack.transactionId ?? "",
          device: ack.deviceId,
          status: ack.status,
          ...(ack.reason && { reason: ack.reason }),
          ...(ack.sequence !== undefined && { seq: ack.sequence }),
        }),
      ),
    );
    this.#chargeService = chargesFor(service, (id) => simulator.registry.keyFor(id));
    this.#chargeService.then(
      (charges) => {
        const stop = charges.onAck((ack) => this.#chargeAck(ack));
        if (this.#closed) stop();
        else this.#stops.push(stop);
      },
      () => {
        // The service's connection is gone; createCharge reports it to whoever asks.
      },
    );
    const aedes = simulator.broker?.aedes;
    if (aedes) {
      const connected = (client: { id: string }) => this.brokerLog.event("info", "client-connected", { client: client.id });
      const gone = (client: { id: string }) => this.brokerLog.event("info", "client-disconnected", { client: client.id });
      aedes.on("client", connected);
      aedes.on("clientDisconnect", gone);
      this.#stops.push(() => {
        aedes.off("client", connected);
        aedes.off("clientDisconnect", gone);
      });
    }
  }

  get logs(): EventLog[] {
    return [...[...this.simulator.devices.values()].map((d) => d.log), this.serviceLog, this.simulator.nfc.log, this.brokerLog, this.worldLog];
  }

  /** Every event from now on, from every source. */
  onEvent(listener: (event: DeviceEvent) => void): () => void {
    this.#events.add(listener);
    return () => this.#events.delete(listener);
  }

  /** Each finished frame of a device's screen. */
  onFrame(listener: (deviceId: string, frame: number) => void): () => void {
    this.#frames.add(listener);
    return () => this.#frames.delete(listener);
  }

  /** The last `limit` events of all sources, oldest first. */
  recentEvents(limit = 200): DeviceEvent[] {
    return this.logs
      .flatMap((log) => log.events.slice(-limit))
      .sort((a, b) => a.at - b.at)
      .slice(-limit);
  }

  device(deviceId: string): SimDevice {
    const device = this.simulator.devices.get(deviceId);
    if (!device) throw new ControlError(`no device ${JSON.stringify(deviceId)}; devices: ${[...this.simulator.devices.keys()].join(", ")}`);
    return device;
  }

  /** Resolves once the device's session is online: at once if it is. */
  async online(deviceId: string, timeoutMs = 10_000): Promise<void> {
    const device = this.device(deviceId);
    if (device.running && device.firmware.session.state === "online") return;
    await device.log.waitFor((e) => e.name === "session" && e.fields.state === "online", timeoutMs);
  }

  state(): SimState {
    const broker = this.simulator.broker;
    return {
      broker: { url: this.simulator.brokerUrl, embedded: broker !== undefined, up: broker ? broker.listening : true },
      devices: [...this.simulator.devices.values()].map((device) => this.#deviceState(device)),
      wallets: WALLETS,
      forgeries: Object.entries(FORGERIES).map(([kind, forgery]) => ({ kind, label: forgery.label, expect: forgery.expect })),
      charges: [...this.#charges.values()].reverse().slice(0, CHARGES_SHOWN).map((c) => ({ ...c, codes: { ...c.codes } })),
      nfc: {
        kinds: SIM_TAG_KINDS.map((kind) => ({ kind, label: SIM_TAG_LABELS[kind] })),
        readers: this.simulator.nfc.readers().map((deviceId) => ({ deviceId, holding: this.device(deviceId).nfc?.inField?.label })),
      },
      features: { charges: true, nfc: true },
    };
  }

  /** A confirmed payment, signed with the device's key, delivered until acked or expired. */
  async pay(request: PayRequest): Promise<ConfirmationFields> {
    this.device(request.deviceId);
    const { currency, amountMinor } = this.#money(request.amount, request.currency ?? "INR");
    if (request.expiresInMs !== undefined && !(Number.isInteger(request.expiresInMs) && request.expiresInMs > 0))
      throw new ControlError(`expiry must be a positive whole number of milliseconds, got ${request.expiresInMs}`);
    const fields = await this.simulator.service.publish({
      deviceId: request.deviceId,
      amountMinor,
      currency,
      provider: request.provider ?? "UPI",
      expiresInMs: request.expiresInMs,
      transactionId: request.transactionId,
    });
    this.#remember(fields);
    return fields;
  }

  /**
   * Puts a charge on a QR display; resolves once the device shows it, with the codes on its
   * screen. A device that refuses it rejects with its reason.
   */
  async createCharge(request: ChargeRequest): Promise<ChargeView> {
    const device = this.device(request.deviceId);
    if (!device.display) throw new ControlError(`${request.deviceId} has no screen to show a charge on`);
    const { currency, amountMinor } = this.#money(request.amount, request.currency ?? "INR");
    if (request.expiresInMs !== undefined && !(Number.isInteger(request.expiresInMs) && request.expiresInMs > 0))
      throw new ControlError(`expiry must be a positive whole number of milliseconds, got ${request.expiresInMs}`);
    const schemes = request.schemes ?? ["upi", "emv"];
    if (schemes.length === 0 || schemes.some((s) => s !== "upi" && s !== "emv")) throw new ControlError(`schemes must be upi, emv or both, got ${JSON.stringify(schemes)}`);
    const merchant = this.simulator.options.merchant ?? DEMO_MERCHANT;
    const spec: ChargeSpec = {
      deviceId: request.deviceId,
      amountMinor,
      currency,
      expiresInMs: request.expiresInMs,
      ...(request.reference !== undefined && { reference: request.reference }),
      ...(schemes.includes("upi") && { upi: {} }),
      ...(schemes.includes("emv") && { emv: demoEmvFields(merchant) }),
    };
    const charges = await this.#chargeService;
    let created;
    try {
      created = await charges.create(spec);
    } catch (error) {
      if (error instanceof RangeError) throw new ControlError(error.message);
      throw error;
    }
    const view: ChargeView = {
      reference: created.reference,
      deviceId: created.deviceId,
      amount: request.amount,
      currency,
      expiresAt: created.expiresAt,
      codes: created.codes,
      status: this.#charges.get(created.reference)?.status ?? "shown",
    };
    this.#charges.set(view.reference, view);
    if (this.#charges.size > CHARGES_KEPT) this.#charges.delete(this.#charges.keys().next().value as string);
    this.serviceLog.event("info", "charge-created", { ref: view.reference, device: view.deviceId, amount: view.amount, cur: currency, codes: Object.keys(view.codes).join(" ") });
    return { ...view, codes: { ...view.codes } };
  }

  charge(reference: string): ChargeView | undefined {
    const view = this.#charges.get(reference);
    return view && { ...view, codes: { ...view.codes } };
  }

  /**
   * The customer pays a charge from a wallet: a confirmation carrying the charge's reference goes
   * to the QR display that shows it, and, as the merchant's payment service does, one to each
   * soundbox, which announces it. `amount` other than the charge's makes a mismatch.
   */
  async payCharge(reference: string, provider: string, amount?: string): Promise<{ transactionId: string; announcedBy: string[] }> {
    const view = this.#charges.get(reference);
    if (!view) throw new ControlError(`no charge ${JSON.stringify(reference)} was created here`);
    const { amountMinor } = this.#money(amount ?? view.amount, view.currency);
    const fields = await payCharge(this.simulator.service, { deviceId: view.deviceId, reference, amountMinor, currency: view.currency }, provider, amountMinor);
    this.#remember(fields);
    const soundboxes = [...this.simulator.devices.values()].filter((d) => d.options.product === "soundbox").map((d) => d.options.deviceId);
    await Promise.all(
      soundboxes.map(async (deviceId) => {
        // Each device's confirmation is its own delivery; the suffix keeps their ids apart.
        const copy = await this.simulator.service.publish({ deviceId, amountMinor, currency: view.currency, provider, transactionId: `${fields.transactionId}:${deviceId}`.slice(0, 64) });
        this.#remember(copy);
      }),
    );
    return { transactionId: fields.transactionId, announcedBy: soundboxes };
  }

  async cancelCharge(reference: string): Promise<void> {
    const view = this.#charges.get(reference);
    if (!view) throw new ControlError(`no charge ${JSON.stringify(reference)} was created here`);
    const ack = await (await this.#chargeService).cancel(view.deviceId, reference);
    if (ack.status === "rejected") throw new ControlError(`${view.deviceId} did not cancel ${reference}: ${ack.reason ?? "rejected"}${ack.message ? ` (${ack.message})` : ""}`);
  }

  /** Holds a virtual tag, card, a phone or a technician's provisioning tag to a QR display's reader. */
  placeTag(deviceId: string, kind: string): string {
    this.device(deviceId);
    let label: string;
    try {
      label = this.simulator.nfc.placeTag(deviceId, kind);
    } catch (error) {
      throw new ControlError((error as Error).message);
    }
    this.worldLog.event("info", "tag-placed", { device: deviceId, kind });
    return label;
  }

  removeTag(deviceId: string): void {
    this.device(deviceId);
    try {
      this.simulator.nfc.removeTag(deviceId);
    } catch (error) {
      throw new ControlError((error as Error).message);
    }
    this.worldLog.event("info", "tag-removed", { device: deviceId });
  }

  /**
   * Sends the device a signed command and resolves with its result. `args` are NAME=VALUE words
   * as `payterm cmd` takes them. rotate-key makes a fresh random key, as the CLI does, and the
   * registry signs with it once the device says ok.
   */
  async command(deviceId: string, name: string, args: string[] = [], expiresInMs = 30_000): Promise<CommandResult> {
    this.device(deviceId);
    if (!COMMAND_NAME.test(name)) throw new ControlError(`command names are ${COMMAND_NAME.source}, got ${JSON.stringify(name)}`);
    let parsed;
    try {
      parsed = parseCommandArgs(args, undefined);
    } catch (error) {
      if (error instanceof UsageError) throw new ControlError(error.message);
      throw error;
    }
    const service = this.simulator.service;
    this.serviceLog.event("info", "command", { device: deviceId, name, args: args.join(" ") });
    let result: CommandResult;
    if (name === "rotate-key") {
      const { grace, ...rest } = parsed;
      if (Object.keys(rest).length > 0 || (grace !== undefined && typeof grace !== "number"))
        throw new ControlError("rotate-key takes only grace=SECONDS here (the simulator makes the key)");
      const next = { keyId: nextKeyId(this.#key(deviceId).keyId), key: new Uint8Array(randomBytes(32)) };
      result = await service.rotateKey(deviceId, next, { expiresInMs, ...(grace === undefined ? {} : { graceSeconds: grace }) });
      if (result.status === "ok") this.simulator.registry.setKey(deviceId, next);
    } else {
      result = await service.command(deviceId, name, parsed, { expiresInMs });
    }
    this.serviceLog.event(result.status === "ok" ? "info" : "warn", "command-result", {
      device: deviceId,
      name,
      status: result.status,
      ...(result.reason && { reason: result.reason }),
    });
    return result;
  }

  /** Sends a message the device must refuse; returns its transaction id and the reason expected. */
  async forge(deviceId: string, kind: string, options: { amount?: string; transactionId?: string } = {}): Promise<{ transactionId: string; expect: string }> {
    this.device(deviceId);
    if (!isForgeryKind(kind)) throw new ControlError(`unknown forgery ${JSON.stringify(kind)}; one of ${Object.keys(FORGERIES).join(", ")}`);
    const key = this.#key(deviceId);
    const { amountMinor } = this.#money(options.amount ?? "500.00", "INR");
    const now = Date.now();
    const fields: ConfirmationFields = {
      transactionId: options.transactionId ?? `FORGED-${now.toString(36).toUpperCase()}-${randomBytes(3).toString("hex").toUpperCase()}`,
      deviceId,
      amountMinor,
      currency: "INR",
      provider: "UPI",
      confirmedAt: now,
      expiresAt: now + 15 * 60_000,
    };
    const forgery = FORGERIES[kind];
    await this.simulator.service.publishRaw(deviceId, forgery.make(fields, key));
    this.serviceLog.event("warn", "forged", { txn: fields.transactionId, device: deviceId, kind, expect: forgery.expect });
    return { transactionId: fields.transactionId, expect: forgery.expect };
  }

  /** Sends again the exact bytes of a payment already sent to the device (the last one by default). */
  async replay(deviceId: string, transactionId?: string): Promise<string> {
    this.device(deviceId);
    let fields: ConfirmationFields | undefined;
    if (transactionId !== undefined) {
      fields = this.#sent.get(transactionId);
      if (!fields || fields.deviceId !== deviceId) throw new ControlError(`no payment ${JSON.stringify(transactionId)} was sent to ${deviceId} from here`);
    } else {
      fields = [...this.#sent.values()].reverse().find((f) => f.deviceId === deviceId);
      if (!fields) throw new ControlError(`nothing to replay: no payment was sent to ${deviceId} yet`);
    }
    // HMAC and the codec are deterministic: signing the same fields again gives the same bytes.
    await this.simulator.service.publishRaw(deviceId, signConfirmation(fields, this.#key(deviceId)));
    this.serviceLog.event("warn", "replayed", { txn: fields.transactionId, device: deviceId });
    return fields.transactionId;
  }

  brokerDown(): Promise<void> {
    return this.#brokerStep("down");
  }

  brokerUp(): Promise<void> {
    return this.#brokerStep("up");
  }

  linkDown(deviceId: string): void {
    this.device(deviceId).linkDown();
    this.worldLog.event("warn", "link-down", { device: deviceId });
  }

  linkUp(deviceId: string): void {
    this.device(deviceId).linkUp();
    this.worldLog.event("info", "link-up", { device: deviceId });
  }

  /** The link drops for an instant; the device reconnects on its own. */
  cutLink(deviceId: string): void {
    const device = this.device(deviceId);
    if (!device.running) throw new ControlError(`${deviceId} is off`);
    device.cutLink();
    this.worldLog.event("warn", "link-cut", { device: deviceId });
  }

  powerOff(deviceId: string): void {
    const device = this.device(deviceId);
    if (!device.running) return;
    device.powerOff();
    this.worldLog.event("warn", "power-off", { device: deviceId });
  }

  powerOn(deviceId: string): void {
    const device = this.device(deviceId);
    if (device.running) return;
    device.start();
    this.worldLog.event("info", "power-on", { device: deviceId });
  }

  /** Power off, wait, power on: the firmware boots from what its NVS kept. */
  async powerCycle(deviceId: string, offMs = 1000): Promise<void> {
    this.powerOff(deviceId);
    await new Promise((resolve) => setTimeout(resolve, offMs));
    this.powerOn(deviceId);
  }

  /**
   * One edge of a button, as the UI sends them (press on pointer down, release on pointer up).
   * The power button is also the board's switch: held for a long press it cuts the power, as
   * the soundbox's panel describes it (host-sim/device/sim-soundbox.ts).
   */
  button(deviceId: string, button: string, pressed: boolean): void {
    const device = this.device(deviceId);
    if (!device.buttons.available.includes(button as ButtonId))
      throw new ControlError(`${deviceId} has no ${JSON.stringify(button)} button; it has ${device.buttons.available.join(", ")}`);
    if (!device.running) {
      // Letting go of a key that switched the device off is nothing to complain about.
      if (pressed) throw new ControlError(`${deviceId} is off`);
      return;
    }
    device.buttons.set(button as ButtonId, pressed);
    this.worldLog.event("debug", pressed ? "button-down" : "button-up", { device: deviceId, button });
    if (button !== "power") return;
    clearTimeout(this.#powerHolds.get(deviceId));
    this.#powerHolds.delete(deviceId);
    if (pressed)
      this.#powerHolds.set(
        deviceId,
        setTimeout(() => {
          this.#powerHolds.delete(deviceId);
          this.powerOff(deviceId);
        }, LONG_PRESS_MS),
      );
  }

  /** Press and hold for `holdMs`, then release. */
  async press(deviceId: string, button: string, holdMs = 80): Promise<void> {
    this.button(deviceId, button, true);
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    this.button(deviceId, button, false);
  }

  battery(deviceId: string, status: { percent?: number; charging?: boolean }): void {
    const device = this.device(deviceId);
    if (status.percent !== undefined && !(Number.isInteger(status.percent) && status.percent >= 0 && status.percent <= 100))
      throw new ControlError(`battery percent must be a whole number 0-100, got ${JSON.stringify(status.percent)}`);
    if (status.charging !== undefined && typeof status.charging !== "boolean") throw new ControlError("charging must be true or false");
    device.power.set({
      ...(status.percent !== undefined && { batteryPercent: status.percent }),
      ...(status.charging !== undefined && { charging: status.charging }),
    });
    const now = device.power.status();
    this.worldLog.event("info", "battery", { device: deviceId, percent: now.batteryPercent, charging: now.charging });
  }

  close(): void {
    this.#closed = true;
    for (const hold of this.#powerHolds.values()) clearTimeout(hold);
    for (const stop of this.#stops.splice(0)) stop();
    for (const device of this.simulator.devices.values()) if (device.display) device.display.onFrame = undefined;
    this.#events.clear();
    this.#frames.clear();
  }

  #deviceState(device: SimDevice): DeviceState {
    const id = device.options.deviceId;
    const network = device.network.status();
    const power = device.power.status();
    return {
      deviceId: id,
      product: device.options.product,
      language: device.options.language,
      running: device.running,
      session: device.running ? device.firmware.session.state : "off",
      link: network.link,
      rssi: network.rssi,
      linkReason: network.reason,
      battery: { percent: power.batteryPercent, charging: power.charging },
      buttons: device.buttons.available,
      counters: device.running ? device.firmware.pipeline.counters : undefined,
      screen: device.display && { state: this.#screens.get(id), width: device.display.width, height: device.display.height, frame: device.display.frames },
      soundbox: device.soundbox?.state(),
      commands: device.running ? device.firmware.commands.names() : [],
    };
  }

  #money(amount: string, code: string): { currency: string; amountMinor: number } {
    const currency = currencyInfo(code);
    if (!currency) throw new ControlError(`currency ${JSON.stringify(code)} is not a supported ISO 4217 code`);
    const amountMinor = parseAmount(String(amount), currency.exponent);
    if (amountMinor === undefined || amountMinor === 0)
      throw new ControlError(`amount must be a positive decimal with at most ${currency.exponent} decimals and no separators, got ${JSON.stringify(amount)}`);
    return { currency: currency.code, amountMinor };
  }

  #chargeAck(ack: ChargeAckMessage): void {
    const view = ack.reference === undefined ? undefined : this.#charges.get(ack.reference);
    if (view && ack.status !== "rejected") {
      view.status = ack.status;
      if (ack.transactionId) view.transactionId = ack.transactionId;
    }
    this.serviceLog.event(ack.status === "rejected" || ack.status === "mismatch" ? "warn" : "info", "charge-ack", {
      ref: ack.reference ?? "",
      device: ack.deviceId,
      status: ack.status,
      ...(ack.reason && { reason: ack.reason }),
      ...(ack.transactionId && { txn: ack.transactionId }),
    });
  }

  #key(deviceId: string) {
    const key = this.simulator.registry.keyFor(deviceId);
    if (!key) throw new ControlError(`no key registered for ${deviceId}`);
    return key;
  }

  #remember(fields: ConfirmationFields): void {
    this.#sent.set(fields.transactionId, fields);
    if (this.#sent.size > SENT_KEPT) this.#sent.delete(this.#sent.keys().next().value as string);
  }

  #emit(event: DeviceEvent): void {
    for (const listener of this.#events) listener(event);
  }

  /** Broker steps run one at a time, so a quick down-up-down from the UI lands in order. */
  #brokerStep(step: "down" | "up"): Promise<void> {
    const broker = this.simulator.broker;
    if (!broker) return Promise.reject(new ControlError(`the broker ${this.simulator.brokerUrl} is external; only the embedded broker can be taken down from here`));
    const run = async () => {
      if (step === "down" && broker.listening) {
        await broker.pause();
        this.brokerLog.event("warn", "broker-down", { url: broker.url });
      } else if (step === "up" && !broker.listening) {
        await broker.resume();
        this.brokerLog.event("info", "broker-up", { url: broker.url });
      }
    };
    const next = this.#brokerBusy.then(run);
    this.#brokerBusy = next.catch(() => {});
    return next;
  }
}
