export interface NetworkStatus {
  link: "up" | "down";
  /** dBm; undefined while the link is down or on wired links. */
  rssi: number | undefined;
}

export interface Network {
  status(): NetworkStatus;
  onChange: ((status: NetworkStatus) => void) | undefined;
}
