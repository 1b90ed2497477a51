export interface NetworkStatus {
  link: "up" | "down";
  /** dBm; undefined while the link is down or on wired links. */
  rssi: number | undefined;
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
}
