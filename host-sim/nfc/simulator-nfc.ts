/**
 * NFC across a running simulator: what people hold to each QR display's reader, and what the
 * payment service does with the taps that arrive.
 *
 *   simulator.nfc.placeTag("qr-display-1", "payment-card");  // or phone-wallet, foreign-card,
 *   simulator.nfc.removeTag("qr-display-1");                  // ntag213-uri, card-uid4, type4-ndef,
 *                                                             // phone, corrupt-ndef, provisioning
 *   simulator.nfc.log.listen((event) => ...);  // tap, tap-refused, tap-settled, tap-declined, phone-read
 *
 * The acquirer (acquirer.ts) decides each verified tap: one of its own instruments tapped on an
 * open charge pays it (the same signed confirmation path as a QR payment), so the display turns
 * to success; anything else is declined with the reason and pays nothing.
 */
import { EventLog } from "../device/event-log";
import type { SimDevice } from "../device/sim-device";
import { DEMO_ACCESS_POINT } from "../device/sim-network";
import { chargesFor, payCharge, type ChargeService } from "../service/charges";
import type { DeviceKey } from "../service/confirmation";
import type { PaymentService } from "../service/payment-service";
import { Acquirer } from "./acquirer";
import { ensureProvisioningKey } from "./operator-key";
import { provisioningMessage, provisioningTag, type ProvisioningTagInput } from "./provisioning-writer";
import { isVirtualTagKind, VIRTUAL_TAG_KINDS, VIRTUAL_TAG_LABELS, type VirtualTagKind } from "./simulated-nfc";
import type { VirtualCard } from "./tags";
import { tapsFor, type TapEvent, type TapReceiver } from "./tap-receiver";

export const SIM_TAG_KINDS = [...VIRTUAL_TAG_KINDS, "provisioning"] as const;
export type SimTagKind = (typeof SIM_TAG_KINDS)[number];

export const SIM_TAG_LABELS: Readonly<Record<SimTagKind, string>> = Object.freeze({ ...VIRTUAL_TAG_LABELS, provisioning: "technician's provisioning tag (signed)" });

/** How long a simulated technician's tag stays valid. */
const PROVISIONING_TAG_LIFE_MS = 10 * 60_000;

export interface SimulatorNfcHost {
  options: { stateDir: string };
  devices: Map<string, SimDevice>;
  service: PaymentService;
  registry: { keyFor(deviceId: string): DeviceKey | undefined };
}

export class SimulatorNfc {
  /** Taps, refusals, settlements and phone reads, across devices. */
  readonly log = new EventLog("nfc");

  private constructor(
    private readonly host: SimulatorNfcHost,
    readonly taps: TapReceiver,
    private readonly charges: ChargeService,
    readonly acquirer: Acquirer,
  ) {
    taps.onTap((tap) => {
      this.log.event("info", "tap", { device: tap.deviceId, uid: tap.uid, kind: tap.kind, aid: tap.aid, records: tap.records?.length ?? 0, err: tap.ndefError, charge: tap.charge?.reference });
      this.#decide(tap);
    });
    taps.onRefused((refusal) => this.log.event("warn", "tap-refused", { device: refusal.deviceId, reason: refusal.reason, detail: refusal.detail }));
    for (const device of host.devices.values()) {
      if (device.nfc) device.nfc.onPhoneRead = (read) => this.log.event("info", "phone-read", { device: device.options.deviceId, uri: read.uri, err: read.error });
    }
  }

  static async attach(host: SimulatorNfcHost): Promise<SimulatorNfc> {
    const keyFor = (id: string) => host.registry.keyFor(id);
    return new SimulatorNfc(host, await tapsFor(host.service, keyFor), await chargesFor(host.service, keyFor), new Acquirer());
  }

  #decide(tap: TapEvent): void {
    const decision = this.acquirer.decide(tap, this.charges.book);
    if (!decision.settle) {
      this.log.event("warn", "tap-declined", { device: tap.deviceId, uid: tap.uid, reason: decision.reason, detail: decision.detail, instrument: decision.instrument?.label, charge: tap.charge?.reference });
      return;
    }
    const { charge, instrument } = decision;
    payCharge(this.host.service, charge, instrument.provider).then(
      (fields) => this.log.event("info", "tap-settled", { device: tap.deviceId, charge: charge.reference, txn: fields.transactionId, instrument: instrument.label, provider: instrument.provider }),
      (error: Error) => {
        this.charges.book.release(charge.deviceId, charge.reference);
        this.log.event("error", "tap-settle-failed", { device: tap.deviceId, charge: charge.reference, detail: error.message });
      },
    );
  }

  /** The devices with a reader. */
  readers(): string[] {
    return [...this.host.devices.values()].filter((device) => device.nfc).map((device) => device.options.deviceId);
  }

  /**
   * Holds a virtual tag, card or the phone to a QR display. "provisioning" is a technician's
   * tag signed with the simulator's operator key for that device (Wi-Fi and the merchant binding
   * as given, else the device's own merchant and a demo network).
   */
  placeTag(deviceId: string, kind: SimTagKind | string, provisioning: Partial<Omit<ProvisioningTagInput, "deviceId">> = {}): string {
    const device = this.#reader(deviceId);
    if (kind === "provisioning") {
      device.nfc?.placeTag(this.#provisioningTag(device, provisioning));
      return SIM_TAG_LABELS.provisioning;
    }
    if (!isVirtualTagKind(kind)) throw new Error(`unknown tag kind ${JSON.stringify(kind)}; one of ${SIM_TAG_KINDS.join(", ")}`);
    device.nfc?.placeTag(kind as VirtualTagKind);
    return SIM_TAG_LABELS[kind as VirtualTagKind];
  }

  removeTag(deviceId: string): void {
    this.#reader(deviceId).nfc?.removeTag();
  }

  #reader(deviceId: string): SimDevice {
    const device = this.host.devices.get(deviceId);
    if (!device) throw new Error(`no simulated device ${deviceId}`);
    if (!device.nfc) throw new Error(`${deviceId} has no NFC reader (only QR displays do)`);
    return device;
  }

  #provisioningTag(device: SimDevice, given: Partial<Omit<ProvisioningTagInput, "deviceId">>): VirtualCard {
    const key = ensureProvisioningKey(this.host.options.stateDir);
    const now = Date.now();
    const merchant = given.merchant ?? device.options.merchant;
    const input: ProvisioningTagInput = {
      deviceId: device.options.deviceId,
      // Seconds since the epoch: each tag made later supersedes the ones before.
      seq: given.seq ?? Math.floor(now / 1000),
      expiresAt: given.expiresAt ?? now + PROVISIONING_TAG_LIFE_MS,
      wifi: given.wifi ?? DEMO_ACCESS_POINT,
      ...(given.broker ? { broker: given.broker } : {}),
      ...(merchant ? { merchant } : {}),
    };
    return provisioningTag(provisioningMessage(input, key.secretKey));
  }
}
