/**
 * Wi-Fi link state from Moddable's `wifi` module notifications, RSSI and address from `net`.
 * The connection itself is made before main runs, by the runtime's setup/network module from
 * config.ssid and config.password.
 * Needs: "wifi" ($(MODULES)/network/wifi/manifest.json), "net".
 */
import WiFi from "wifi";
import Net from "net";
import { Listeners } from "../listeners";
import type { Network, NetworkStatus } from "../network";

export class WifiNetwork implements Network {
  readonly #listeners = new Listeners<NetworkStatus>();
  #up: boolean;
  #monitor: WiFi | undefined;

  constructor() {
    this.#up = hasAddress();
    this.#monitor = new WiFi(undefined, (message) => {
      let up = this.#up;
      if (message === WiFi.gotIP) up = true;
      else if (message === WiFi.lostIP || message === WiFi.disconnected) up = false;
      if (up === this.#up) return;
      this.#up = up;
      this.#listeners.emit(this.status());
    });
  }

  listen(listener: (status: NetworkStatus) => void): () => void {
    return this.#listeners.add(listener);
  }

  status(): NetworkStatus {
    if (!this.#up) return { link: "down", rssi: undefined };
    const rssi = Net.get("RSSI");
    return { link: "up", rssi: typeof rssi === "number" && rssi < 0 ? rssi : undefined };
  }

  close(): void {
    this.#monitor?.close();
    this.#monitor = undefined;
    this.#listeners.clear();
  }
}

function hasAddress(): boolean {
  const address = Net.get("IP");
  return typeof address === "string" && address.length > 0 && address !== "0.0.0.0";
}
