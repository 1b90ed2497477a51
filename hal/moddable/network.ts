/**
 * Wi-Fi on Moddable's `wifi` module (SDK 8.2.3, ESP32), RSSI and address from `net`.
 * Needs: "wifi" ($(MODULES)/network/wifi/manifest.json), "net", "timer".
 *
 * Joining: the firmware calls `join` with the provisioned network (NVS config/ssid and psk, which
 * a signed NFC provisioning tag may replace), and this module connects with `WiFi.connect`. A
 * build may also name a network in mc/config (ssid, password): the runtime's setup/network module
 * then joins it before main runs, and `join(undefined)` keeps that link. Builds for provisioned
 * devices leave it out, so the first connection is to the provisioned network.
 *
 * What the SDK tells (modules/network/wifi/esp32): after a connection is lost or refused it
 * retries a few times by itself, then reports `disconnect` with a second argument, -1 when the
 * access point rejected the passphrase (handshake failures), 0 otherwise, and stops. From there
 * this module tries again: soon and then less often after a lost link, rarely after a rejected
 * passphrase, which only a new provisioning can fix (but an access point that was misconfigured
 * for a moment must not keep the device off for good).
 */
import WiFi from "wifi";
import Net from "net";
import Timer from "timer";
import { Listeners } from "../listeners";
import type { LinkDownReason, Network, NetworkStatus, WifiSettings } from "../network";

/** The SDK's `disconnect` argument for a passphrase the access point rejected. */
const PASSWORD_REJECTED = -1;
const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 60_000;
const RETRY_REJECTED_MS = 5 * 60_000;

type JoinState =
  | { state: "unconfigured" }
  /** The link the runtime's setup made (mc/config); the SDK keeps it as it can. */
  | { state: "built-in"; up: boolean }
  | { state: "joining" | "lost" | "wrong-password"; settings: WifiSettings; retryMs: number }
  | { state: "up"; settings: WifiSettings };

export class WifiNetwork implements Network {
  readonly #listeners = new Listeners<NetworkStatus>();
  #join: JoinState;
  #monitor: WiFi | undefined;
  #retry: Timer | undefined;

  constructor() {
    this.#join = hasAddress() ? { state: "built-in", up: true } : { state: "unconfigured" };
    this.#monitor = new WiFi(undefined, (message, reason?: number) => this.#notified(message, reason));
  }

  join(settings: WifiSettings | undefined): void {
    if (!settings) return;
    // Already on it (the build named the same network): no needless drop.
    if (hasAddress() && Net.get("SSID") === settings.ssid) {
      this.#change({ state: "up", settings });
      return;
    }
    this.#change({ state: "joining", settings, retryMs: RETRY_FIRST_MS });
    this.#connect(settings);
  }

  listen(listener: (status: NetworkStatus) => void): () => void {
    return this.#listeners.add(listener);
  }

  status(): NetworkStatus {
    const join = this.#join;
    if (join.state === "up" || (join.state === "built-in" && join.up)) {
      const rssi = Net.get("RSSI");
      return { link: "up", rssi: typeof rssi === "number" && rssi < 0 ? rssi : undefined };
    }
    const reason: LinkDownReason = join.state === "built-in" ? "lost" : join.state;
    return { link: "down", rssi: undefined, reason };
  }

  close(): void {
    Timer.clear(this.#retry);
    this.#retry = undefined;
    this.#monitor?.close();
    this.#monitor = undefined;
    this.#listeners.clear();
  }

  #notified(message: string, reason: number | undefined): void {
    const join = this.#join;
    const settings = "settings" in join ? join.settings : undefined;
    if (message === WiFi.gotIP) {
      Timer.clear(this.#retry);
      this.#retry = undefined;
      this.#change(settings ? { state: "up", settings } : { state: "built-in", up: true });
    } else if (message === WiFi.lostIP || message === WiFi.disconnected) {
      if (!settings) {
        // The build's own link: the SDK keeps it as it can; report it down until it returns.
        if (join.state === "built-in") this.#change({ state: "built-in", up: false });
        return;
      }
      const rejected = message === WiFi.disconnected && reason === PASSWORD_REJECTED;
      const previous = join.state === "joining" || join.state === "lost" ? join.retryMs : RETRY_FIRST_MS;
      const next: JoinState = rejected
        ? { state: "wrong-password", settings, retryMs: RETRY_REJECTED_MS }
        : { state: join.state === "joining" ? "joining" : "lost", settings, retryMs: Math.min(previous * 2, RETRY_MAX_MS) };
      this.#change(next);
      // lostIP usually comes with a disconnect of its own; the SDK's retries run before that one.
      if (message === WiFi.disconnected) this.#retryIn(rejected ? RETRY_REJECTED_MS : previous);
    }
  }

  #retryIn(ms: number): void {
    Timer.clear(this.#retry);
    this.#retry = Timer.set(() => {
      this.#retry = undefined;
      const join = this.#join;
      if (join.state === "joining" || join.state === "lost" || join.state === "wrong-password") this.#connect(join.settings);
    }, ms);
  }

  #connect(settings: WifiSettings): void {
    WiFi.connect(settings.psk === "" ? { ssid: settings.ssid } : { ssid: settings.ssid, password: settings.psk });
  }

  #change(next: JoinState): void {
    const before = this.status();
    this.#join = next;
    const after = this.status();
    if (before.link !== after.link || before.reason !== after.reason) this.#listeners.emit(after);
  }
}

function hasAddress(): boolean {
  const address = Net.get("IP");
  return typeof address === "string" && address.length > 0 && address !== "0.0.0.0";
}
