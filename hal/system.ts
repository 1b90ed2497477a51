export type Product = "soundbox" | "qr-display";

export interface SystemInfo {
  readonly deviceId: string;
  readonly product: Product;
  readonly firmwareVersion: string;
  /** Bytes free on the JavaScript heap, for telemetry. */
  freeHeap(): number;
  restart(): void;
}
