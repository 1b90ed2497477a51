/**
 * The QR display product assembled: the screen state machine, the charge desk, the merchant's
 * static code, and the inputs the screen follows (network link, session state, battery, the
 * function button).
 * firmware/device.ts starts it when the HAL has a display and a QR encoder.
 */
import type { ButtonId } from "../../hal/buttons";
import type { Display } from "../../hal/display";
import type { Hal } from "../../hal/index";
import type { QrEncoder } from "../../hal/qr";
import type { PowerStatus } from "../../hal/power";
import type { DeviceConfig } from "../config";
import type { JournalEntry } from "../payments/journal";
import { Keyring } from "../payments/keyring";
import { buildUpi, UpiError } from "../qr/upi";
import { ChargeDesk, type CurrentCharge } from "./charge-desk";
import { QrDisplay } from "./qr-display";

/** How often the battery is read for the low-battery banner. */
export const BATTERY_POLL_MS = 30_000;

export interface QrTerminal {
  readonly screen: QrDisplay;
  readonly desk: ChargeDesk;
  /** The charge on offer: NFC card emulation presents its UPI link. */
  current(): CurrentCharge | undefined;
  /** After a restart, brings back the charge that was on offer (its ack may be published). */
  restoreCharge(): void;
  /** A payload from the charge topic. */
  receiveCharge(payload: Uint8Array): void;
  /** A verified, journaled confirmation to show. */
  confirmed(entry: JournalEntry): void;
  setOnline(online: boolean): void;
  stop(): void;
}

export interface QrTerminalOptions {
  hal: Hal;
  display: Display;
  encoder: QrEncoder;
  config: DeviceConfig;
  publishChargeAck(payload: Uint8Array): void;
}

/**
 * The merchant's static code: the payload provisioning wrote (a UPI link or an EMVCo payload, the
 * same as the printed sticker), else a UPI link from vpa and payee, else undefined (logged).
 */
function merchantLink(config: DeviceConfig, log: Hal["log"]): string | undefined {
  if (config.merchantQr) return config.merchantQr;
  if (!config.merchantVpa || !config.merchantName) return undefined;
  try {
    return buildUpi({ pa: config.merchantVpa, pn: config.merchantName, cu: "INR" });
  } catch (error) {
    if (!(error instanceof UpiError)) throw error;
    log.event("error", "merchant-config", { detail: error.message });
    return undefined;
  }
}

export function startQrTerminal(options: QrTerminalOptions): QrTerminal {
  const { hal, config } = options;
  const battery = (status: PowerStatus) => ({ batteryPercent: status.batteryPercent, charging: status.charging });
  const screen = new QrDisplay({
    display: options.display,
    qr: options.encoder,
    timers: hal.timers,
    clock: hal.clock,
    log: hal.log,
    staticPayload: merchantLink(config, hal.log),
    merchantName: config.merchantName,
  });
  screen.setStatus({ online: false, linkUp: hal.network.status().link === "up", ...battery(hal.power.status()) });
  screen.showIdle();
  const desk = new ChargeDesk({
    deviceId: hal.system.deviceId,
    clock: hal.clock,
    timers: hal.timers,
    crypto: hal.crypto,
    keyring: new Keyring(hal.kv),
    log: hal.log,
    screen,
    merchant: { vpa: config.merchantVpa, name: config.merchantName },
    kv: hal.kv,
    publishAck: options.publishChargeAck,
  });
  const poll = hal.timers.repeat(() => screen.setStatus(battery(hal.power.status())), BATTERY_POLL_MS);
  const unlistenNetwork = hal.network.listen((status) => screen.setStatus({ linkUp: status.link === "up" }));
  // The buttons' one listener is the product's: on the QR display, the function button switches
  // the charge's code. (A power cut leaves it set; the next start replaces it.)
  const onButton = (button: ButtonId, pressed: boolean) => {
    if (button === "function" && pressed) desk.nextOffer();
  };
  hal.buttons.onChange = onButton;
  return {
    screen,
    desk,
    current: () => desk.current(),
    restoreCharge: () => desk.restore(),
    receiveCharge: (payload) => desk.receive(payload),
    confirmed: (entry) => desk.confirmed(entry),
    setOnline: (online) => screen.setStatus({ online }),
    stop: () => {
      hal.timers.clear(poll);
      unlistenNetwork();
      if (hal.buttons.onChange === onButton) hal.buttons.onChange = undefined;
      desk.stop();
      screen.stop();
    },
  };
}
