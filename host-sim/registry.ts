/**
 * The simulator's device registry: identity, product, language and HMAC key of each simulated
 * device, shared by the simulator and the `payterm pay` command. Kept in the state directory with
 * owner-only permissions, since it holds keys.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Product } from "../hal/system";
import { isValidDeviceId } from "../firmware/protocol/topics";
import type { DeviceKey } from "./service/confirmation";

export interface RegisteredDevice {
  deviceId: string;
  product: Product;
  language: string;
  keyId: string;
  keyHex: string;
}

export class Registry {
  readonly #devices = new Map<string, RegisteredDevice>();
  readonly path: string;

  constructor(readonly stateDir: string) {
    this.path = join(stateDir, "devices.json");
    if (!existsSync(this.path)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, "utf8"));
    } catch (error) {
      throw new Error(`${this.path}: not valid JSON (${(error as Error).message})`);
    }
    if (!Array.isArray(parsed)) throw new Error(`${this.path}: expected an array of devices`);
    for (const entry of parsed as RegisteredDevice[]) {
      if (!isValidDeviceId(entry?.deviceId) || !/^[0-9a-f]{64}$/.test(entry.keyHex) || typeof entry.keyId !== "string")
        throw new Error(`${this.path}: malformed device entry ${JSON.stringify(entry)}`);
      this.#devices.set(entry.deviceId, entry);
    }
  }

  get devices(): RegisteredDevice[] {
    return [...this.#devices.values()];
  }

  get(deviceId: string): RegisteredDevice | undefined {
    return this.#devices.get(deviceId);
  }

  keyFor(deviceId: string): DeviceKey | undefined {
    const device = this.#devices.get(deviceId);
    return device && { keyId: device.keyId, key: new Uint8Array(Buffer.from(device.keyHex, "hex")) };
  }

  /** Returns the device, creating it with a fresh key the first time. */
  ensure(deviceId: string, product: Product, language: string): RegisteredDevice {
    const known = this.#devices.get(deviceId);
    if (known) return known;
    const device = { deviceId, product, language, keyId: "k1", keyHex: randomBytes(32).toString("hex") };
    this.#devices.set(deviceId, device);
    this.#save();
    return device;
  }

  #save(): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(this.path, JSON.stringify(this.devices, null, 1), { mode: 0o600 });
    chmodSync(this.path, 0o600);
  }
}
