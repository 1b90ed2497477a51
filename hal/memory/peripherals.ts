/** The small HAL parts, each settable from a test: buttons, power, network, system info, log. */
import type { ButtonId, Buttons } from "../buttons";
import { Listeners } from "../listeners";
import type { Log, LogFields, LogLevel } from "../log";
import type { LinkDownReason, Network, NetworkStatus, WifiSettings } from "../network";
import type { Power, PowerStatus } from "../power";
import type { Product, SystemInfo } from "../system";

export class MemoryButtons implements Buttons {
  readonly available: readonly ButtonId[];
  onChange: ((button: ButtonId, pressed: boolean) => void) | undefined;

  constructor(available: readonly ButtonId[] = ["volumeUp", "volumeDown", "replay", "power", "function"]) {
    this.available = available;
  }

  /** Reports a debounced press then release. */
  tap(button: ButtonId): void {
    this.set(button, true);
    this.set(button, false);
  }

  set(button: ButtonId, pressed: boolean): void {
    if (!this.available.includes(button)) throw new Error(`buttons: this device has no ${button} button`);
    this.onChange?.(button, pressed);
  }
}

export class MemoryPower implements Power {
  onChange: ((status: PowerStatus) => void) | undefined;
  #status: PowerStatus = { batteryPercent: 100, charging: false };

  status(): PowerStatus {
    return { ...this.#status };
  }

  /** Changes the given fields and reports the whole new status. */
  set(status: Partial<PowerStatus>): void {
    this.#status = { ...this.#status, ...status };
    this.onChange?.(this.status());
  }
}

/**
 * The network around a device, settable from a test: the radio link (`set`, as the world makes
 * it) and, when modelled, the access point (`accessPoint`) that a joined network's settings must
 * match, as a shop's router checks SSID and passphrase.
 */
export class MemoryNetwork implements Network {
  readonly #listeners = new Listeners<NetworkStatus>();
  #radio: NetworkStatus = { link: "up", rssi: -55 };
  /** The shop's access point; undefined: any network the device joins lets it in. */
  #accessPoint: WifiSettings | undefined;
  #joined: WifiSettings | undefined;

  constructor(accessPoint?: WifiSettings) {
    this.#accessPoint = accessPoint && { ...accessPoint };
  }

  status(): NetworkStatus {
    const refused = this.#refusal();
    if (refused) return { link: "down", rssi: undefined, reason: refused };
    if (this.#radio.link === "down") return { link: "down", rssi: undefined, reason: this.#radio.reason ?? "lost" };
    return { ...this.#radio };
  }

  listen(listener: (status: NetworkStatus) => void): () => void {
    return this.#listeners.add(listener);
  }

  /** The network the device joined (its passphrase included), for tests. */
  get joined(): WifiSettings | undefined {
    return this.#joined && { ...this.#joined };
  }

  join(settings: WifiSettings | undefined): void {
    if (!settings) return;
    this.#joined = { ...settings };
    this.#listeners.emit(this.status());
  }

  /** The shop changes its router's network or passphrase (undefined: stops checking). */
  setAccessPoint(accessPoint: WifiSettings | undefined): void {
    this.#accessPoint = accessPoint && { ...accessPoint };
    this.#listeners.emit(this.status());
  }

  /** Changes the given fields of the radio link and reports the whole new status to every listener. */
  set(status: Partial<NetworkStatus>): void {
    this.#radio = { ...this.#radio, ...status };
    this.#listeners.emit(this.status());
  }

  /** A power cut: the firmware that listened is gone, the link stays as it is. */
  forgetListeners(): void {
    this.#listeners.clear();
  }

  /** Why the access point keeps the joined network out, if it does (nothing to say while the radio is down). */
  #refusal(): LinkDownReason | undefined {
    const ap = this.#accessPoint;
    const joined = this.#joined;
    if (!ap || !joined || this.#radio.link === "down") return undefined;
    if (joined.ssid !== ap.ssid) return "lost";
    return joined.psk === ap.psk ? undefined : "wrong-password";
  }
}

export interface MemorySystemOptions {
  deviceId: string;
  product: Product;
  firmwareVersion?: string;
  freeHeap?: number;
  /** Runs when the firmware asks for a restart (the test decides what a restart means). */
  onRestart?: () => void;
}

export class MemorySystem implements SystemInfo {
  readonly deviceId: string;
  readonly product: Product;
  readonly firmwareVersion: string;
  heapFree: number;
  restarts = 0;
  readonly #onRestart: (() => void) | undefined;

  constructor(options: MemorySystemOptions) {
    this.deviceId = options.deviceId;
    this.product = options.product;
    this.firmwareVersion = options.firmwareVersion ?? "0.0.0-test";
    this.heapFree = options.freeHeap ?? 96 * 1024;
    this.#onRestart = options.onRestart;
  }

  freeHeap(): number {
    return this.heapFree;
  }

  restart(): void {
    this.restarts++;
    this.#onRestart?.();
  }
}

export interface LogRecord {
  level: LogLevel;
  name: string;
  fields: LogFields;
}

/** Keeps every event; `echo` (e.g. `print`) also writes each as one line. */
export class RecordingLog implements Log {
  readonly events: LogRecord[] = [];
  readonly #echo: ((line: string) => void) | undefined;

  constructor(echo?: (line: string) => void) {
    this.#echo = echo;
  }

  event(level: LogLevel, name: string, fields: LogFields = {}): void {
    this.events.push({ level, name, fields: { ...fields } });
    if (this.#echo) this.#echo(`${level} ${name} ${JSON.stringify(fields)}`);
  }

  named(name: string): LogRecord[] {
    return this.events.filter((event) => event.name === name);
  }
}
