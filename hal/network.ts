/** Why the link is down, where the platform can tell (docs/manufacturing.md, "Wi-Fi"). */
export type LinkDownReason =
  /** No network to join: nothing provisioned and none built in. */
  | "unconfigured"
  /** Joining the provisioned network; no address yet. */
  | "joining"
  /** The access point refused the passphrase: a new one must be provisioned, retrying will not help. */
  | "wrong-password"
  /** The link dropped or the access point cannot be reached; the platform keeps trying. */
  | "lost";

export interface NetworkStatus {
  link: "up" | "down";
  /** dBm; undefined while the link is down or on wired links. */
  rssi: number | undefined;
  /** While down, why; undefined when the platform cannot tell. */
  reason?: LinkDownReason;
}

/** A Wi-Fi network to join; `psk` "" for an open one. The passphrase is never logged or published. */
export interface WifiSettings {
  ssid: string;
  psk: string;
}

export interface Network {
  status(): NetworkStatus;
  /**
   * Calls `listener` with the new status whenever it changes (at least each time the link goes
   * up or down) until the returned function is called. Any number of listeners, each called in the
   * order it was added: the MQTT session, the soundbox's prompts and the QR display's banner each
   * listen for themselves.
   */
  listen(listener: (status: NetworkStatus) => void): () => void;
  /**
   * Joins `settings`' network instead of the one in use, from this boot on; progress and failure
   * come as status changes. `undefined` (nothing provisioned) keeps the link the platform's own
   * start-up made, if any (on Moddable, the build's mc/config ssid), "unconfigured" otherwise.
   */
  join(settings: WifiSettings | undefined): void;
}
