/**
 * Device identity and runtime facts.
 * Needs: "net" (MAC address), "instrumentation" ($(MODULES)/base/instrumentation), and the
 * global `System` installed by the ECMA-419 "system" module (restart; absent on the simulator).
 */
import Net from "net";
import Instrumentation from "instrumentation";
import type { Log } from "../log";
import type { Product, SystemInfo } from "../system";

export interface SystemOptions {
  product: Product;
  firmwareVersion: string;
  /** Provisioned id; when empty, "pt-" and the Wi-Fi MAC address in hex. */
  deviceId?: string;
  log?: Log;
}

export class ModdableSystem implements SystemInfo {
  readonly deviceId: string;
  readonly product: Product;
  readonly firmwareVersion: string;
  readonly #freeMemory: number | undefined;
  readonly #log: Log | undefined;

  constructor(options: SystemOptions) {
    this.product = options.product;
    this.firmwareVersion = options.firmwareVersion;
    this.deviceId = options.deviceId || macDeviceId();
    this.#log = options.log;
    // Present only in instrumented builds (mcconfig -i); elsewhere freeHeap() reports 0.
    this.#freeMemory = Instrumentation.map("System Free Memory");
  }

  /** ESP32: the system heap, from which XS grows its own heaps. 0 when not instrumented. */
  freeHeap(): number {
    if (this.#freeMemory === undefined) return 0;
    return Instrumentation.get(this.#freeMemory) ?? 0;
  }

  restart(): void {
    if (typeof System !== "undefined" && typeof System.restart === "function") {
      System.restart();
      return;
    }
    this.#log?.event("warn", "restart-unsupported");
  }
}

function macDeviceId(): string {
  let mac = "";
  try {
    mac = Net.get("MAC");
  } catch {
    // No network interface (some simulators).
  }
  const hex = (mac ?? "").replace(/[^0-9A-Fa-f]/g, "").toLowerCase();
  return `pt-${hex || "000000000000"}`;
}
