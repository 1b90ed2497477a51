/**
 * NFC in the QR display: what a tap means to the product.
 *   - A card or tag (UID, and its NDEF message or payment application if it has one) goes to the
 *     payment service as an authenticated tap message (tap.ts); if the service takes it as payment
 *     for the charge on offer, it answers on the usual confirmation path.
 *   - A technician's provisioning tag (provisioning-tag.ts) is applied if the operator signed it
 *     for this device, then the device restarts on its new settings; anything else about it is
 *     refused and logged. Its contents (a Wi-Fi passphrase) are never published.
 *   - Between taps, the display's payment link is offered to phones as an NDEF URI (`present`).
 */
import type { ByteTransport } from "../../hal/byte-transport";
import type { Hal } from "../../hal/index";
import { toHex } from "../protocol/bytes";
import type { DeviceConfig } from "../config";
import type { Keyring } from "../payments/keyring";
import { buildUpi, UpiError } from "../qr/upi";
import type { NfcError } from "./errors";
import { applyProvisioning, findProvisioningRecord, lastAppliedSeq, ProvisioningError, verifyProvisioning } from "./provisioning-tag";
import { NfcReader, type NfcReaderOptions, type TagInfo } from "./reader";
import { encodeTap, type SigningKey, type TappedCharge } from "./tap";

/** The merchant's static UPI link from the config, as the display's idle code has it; undefined if it cannot be made. */
export function merchantUpiLink(config: Pick<DeviceConfig, "merchantVpa" | "merchantName">): string | undefined {
  if (!config.merchantVpa || !config.merchantName) return undefined;
  try {
    return buildUpi({ pa: config.merchantVpa, pn: config.merchantName, cu: "INR" });
  } catch (error) {
    // The display logs a bad merchant configuration; NFC then offers nothing.
    if (error instanceof UpiError) return undefined;
    throw error;
  }
}

/** Time for the log and the screen to show a provisioning before the restart that applies it. */
export const PROVISIONED_RESTART_MS = 1500;

export interface NfcTerminalOptions {
  hal: Pick<Hal, "timers" | "clock" | "crypto" | "log" | "kv" | "system">;
  transport: ByteTransport;
  keyring: Keyring;
  operatorKey: Uint8Array | undefined;
  publishTap(payload: Uint8Array): void;
  /** The link phones should open now (the charge on offer, or the static one); undefined for none. */
  paymentLink(): string | undefined;
  /** The charge on offer, named in a tap so the service can settle it with the card. */
  currentCharge(): TappedCharge | undefined;
  /** Reader tuning (timings, sizes); callbacks are the terminal's own. */
  reader?: Omit<Partial<NfcReaderOptions>, "transport" | "timers" | "onArrive" | "onLeave" | "onPresented" | "onError">;
}

export interface NfcCounters {
  taps: number;
  /** Taps not sent because the device has no key to authenticate them with. */
  unsent: number;
  provisioned: number;
  refused: number;
  errors: number;
  phoneReads: number;
}

export class NfcTerminal {
  readonly reader: NfcReader;
  readonly counters: NfcCounters = { taps: 0, unsent: 0, provisioned: 0, refused: 0, errors: 0, phoneReads: 0 };
  readonly #o: NfcTerminalOptions;
  #restarting = false;

  constructor(options: NfcTerminalOptions) {
    this.#o = options;
    const log = options.hal.log;
    this.reader = new NfcReader({
      ...options.reader,
      transport: options.transport,
      timers: options.hal.timers,
      nfcid1t: options.reader?.nfcid1t ?? options.hal.crypto.randomBytes(3),
      onArrive: (tag) => this.#arrived(tag),
      onLeave: (tag) => log.event("info", "nfc-leave", { uid: toHex(tag.uid) }),
      onPresented: (report) => {
        if (report.delivered) this.counters.phoneReads++;
        log.event("info", "nfc-presented", { delivered: report.delivered });
      },
      onError: (error) => this.#error(error),
      onStateChange: (state) => {
        // Each poll decides whether a card-mode window follows: the link is brought up to date then.
        if (state === "polling") this.#syncLink();
      },
    });
    this.#syncLink();
  }

  #syncLink(): void {
    const link = this.#o.paymentLink();
    if (link === this.reader.presenting) return;
    try {
      this.reader.present(link);
    } catch (error) {
      this.#error(error as NfcError);
    }
  }

  stop(): void {
    this.reader.close();
  }

  #error(error: NfcError): void {
    this.counters.errors++;
    this.#o.hal.log.event("warn", "nfc-error", { code: error.code, detail: error.message });
  }

  #arrived(tag: TagInfo): void {
    const { log } = this.#o.hal;
    const uid = toHex(tag.uid);
    const provisioning = tag.records && findProvisioningRecord(tag.records);
    if (provisioning) {
      this.#provision(uid, provisioning);
      return;
    }
    this.counters.taps++;
    log.event("info", "nfc-tap", { uid, kind: tag.kind, ndefBytes: tag.ndef?.length ?? 0, records: tag.records?.length ?? 0, err: tag.ndefError?.code, aid: tag.aid && toHex(tag.aid) });
    const key = this.#signingKey();
    if (!key) {
      this.counters.unsent++;
      log.event("warn", "nfc-tap-unsent", { uid, detail: "no device key to authenticate the tap with" });
      return;
    }
    const { hal } = this.#o;
    this.#o.publishTap(encodeTap(tag, { deviceId: hal.system.deviceId, at: hal.clock.now(), crypto: hal.crypto, key, charge: this.#o.currentCharge() }));
  }

  /**
   * The device key a tap is tagged with: the current one (the last rotate-key installed); before
   * any rotation, the only one, or the one whose id sorts last.
   */
  #signingKey(): SigningKey | undefined {
    const keyring = this.#o.keyring;
    const current = keyring.current;
    const currentKey = current === undefined ? undefined : keyring.get(current);
    if (current !== undefined && currentKey) return { keyId: current, key: currentKey };
    const ids = keyring.ids().sort();
    for (let i = ids.length - 1; i >= 0; i--) {
      const key = this.#o.keyring.get(ids[i]);
      if (key) return { keyId: ids[i], key };
    }
    return undefined;
  }

  #provision(uid: string, record: Parameters<typeof verifyProvisioning>[0]): void {
    const { hal } = this.#o;
    if (this.#restarting) return;
    let settings;
    try {
      settings = verifyProvisioning(record, {
        crypto: hal.crypto,
        operatorKey: this.#o.operatorKey,
        deviceId: hal.system.deviceId,
        now: hal.clock.now(),
        lastSeq: lastAppliedSeq(hal.kv),
      });
    } catch (error) {
      if (!(error instanceof ProvisioningError)) throw error;
      this.counters.refused++;
      hal.log.event("warn", "nfc-provisioning-refused", { uid, reason: error.reason, detail: error.message });
      return;
    }
    let written: string[];
    try {
      written = applyProvisioning(hal.kv, settings);
    } catch (error) {
      this.counters.refused++;
      hal.log.event("error", "nfc-provisioning-failed", { uid, seq: settings.seq, detail: (error as Error).message });
      return;
    }
    this.counters.provisioned++;
    this.#restarting = true;
    hal.log.event("info", "nfc-provisioned", { uid, seq: settings.seq, keys: written.join(","), restartInMs: PROVISIONED_RESTART_MS });
    hal.timers.once(() => hal.system.restart(), PROVISIONED_RESTART_MS);
  }
}
