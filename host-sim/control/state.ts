/**
 * The simulator's state as the control surface reports it: what the web page renders and what
 * scenarios check. Types only, shared with the page's code (no Node imports here).
 */
import type { ButtonId } from "../../hal/buttons";
import type { LinkDownReason } from "../../hal/network";
import type { Product } from "../../hal/system";
import type { PipelineCounters } from "../../firmware/payments/counters";
import type { SoundboxState } from "../../firmware/soundbox/soundbox";

export interface DeviceState {
  deviceId: string;
  product: Product;
  language: string;
  running: boolean;
  session: string;
  link: "up" | "down";
  rssi: number | undefined;
  /** Why the link is down (a rejected Wi-Fi passphrase...), when it is. */
  linkReason: LinkDownReason | undefined;
  battery: { percent: number; charging: boolean };
  buttons: readonly ButtonId[];
  counters: PipelineCounters | undefined;
  /** The last screen the firmware reported, and the framebuffer's size and frame count. */
  screen: { state: string | undefined; width: number; height: number; frame: number } | undefined;
  /** The commands the firmware has registered (config, replay...), while it runs. */
  commands: string[];
  /** The soundbox firmware's own state (volume level, speech queue, today's totals) and what it said, while it runs. */
  soundbox: (SoundboxState & { announcements: SpokenView[] }) | undefined;
}

/** One utterance the soundbox spoke (host-sim/device/sim-soundbox.ts), with its WAV's URL when written. */
export interface SpokenView {
  at: number;
  kind: string;
  txn?: string;
  clips: string;
  /** "built-in", or the installed pack it spoke with ("hi 1.1.0"). */
  voice: string;
  volume: number;
  url?: string;
}

export interface ForgeryInfo {
  kind: string;
  label: string;
  /** The reason code the device must answer with. */
  expect: string;
}

/** A charge the simulator's service put on a QR display, and how it stands. */
export interface ChargeView {
  reference: string;
  deviceId: string;
  /** Decimal, in the charge's currency. */
  amount: string;
  currency: string;
  expiresAt: number;
  /** The codes the device reported showing, exactly. */
  codes: { upi?: string; emv?: string };
  /** The device's last word on it: shown, paid, mismatch, expired, cancelled, replaced. */
  status: string;
  /** The payment that settled it. */
  transactionId?: string;
}

/** The QR displays' NFC readers and what can be held to them (host-sim/nfc). */
export interface NfcView {
  kinds: { kind: string; label: string }[];
  readers: { deviceId: string; holding: string | undefined }[];
}

export interface SimState {
  broker: { url: string; embedded: boolean; up: boolean };
  devices: DeviceState[];
  wallets: readonly string[];
  forgeries: ForgeryInfo[];
  /** The latest charges, newest first. */
  charges: ChargeView[];
  nfc: NfcView;
  /** Parts of the simulator that other work adds; the page shows a panel as waiting until they are here. */
  features: { charges: boolean; nfc: boolean };
}
