/**
 * A simulated device's Wi-Fi: the in-memory network (radio link, the shop's access point) whose
 * every change of link or reason is also an event in the device's log, so the web UI and the
 * scenarios see why a device is offline ("wifi-down", reason "wrong-password") and when it is back.
 */
import { MemoryNetwork } from "../../hal/memory/peripherals";
import type { NetworkStatus, WifiSettings } from "../../hal/network";
import type { EventLog } from "./event-log";

/** The simulator's shop Wi-Fi, which the demo provisioning tag also sets. */
export const DEMO_ACCESS_POINT: WifiSettings = Object.freeze({ ssid: "payterm-demo", psk: "payterm-demo-passphrase" });

export class SimNetwork extends MemoryNetwork {
  constructor(
    accessPoint: WifiSettings | undefined,
    private readonly log: EventLog,
  ) {
    super(accessPoint);
  }

  override join(settings: WifiSettings | undefined): void {
    this.#logged(() => super.join(settings));
  }

  override setAccessPoint(accessPoint: WifiSettings | undefined): void {
    this.#logged(() => super.setAccessPoint(accessPoint));
  }

  override set(status: Partial<NetworkStatus>): void {
    this.#logged(() => super.set(status));
  }

  #logged(change: () => void): void {
    const before = this.status();
    change();
    const after = this.status();
    if (before.link === after.link && before.reason === after.reason) return;
    if (after.link === "up") this.log.event("info", "wifi-up", { rssi: after.rssi });
    else this.log.event("warn", "wifi-down", { reason: after.reason });
  }
}
