export interface PowerStatus {
  /** 0 to 100. */
  batteryPercent: number;
  charging: boolean;
}

export interface Power {
  status(): PowerStatus;
  onChange: ((status: PowerStatus) => void) | undefined;
}
