/**
 * The simulator's device registry: identity, product, language and HMAC key of each simulated
 * device, shared by the simulator and the `payterm pay` command. Kept in the state directory with
 * owner-only permissions, since it holds keys.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
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
  /** Modification time of the file as last read or written, to see another process's change. */
  #loadedAt = 0;

  constructor(readonly stateDir: string) {
    this.path = join(stateDir, "devices.json");
    this.#load();
  }

  #load(): void {
    if (!existsSync(this.path)) return;
    this.#loadedAt = statSync(this.path).mtimeMs;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, "utf8"));
    } catch (error) {
      throw new Error(`${this.path}: not valid JSON (${(error as Error).message})`);
    }
    if (!Array.isArray(parsed)) throw new Error(`${this.path}: expected an array of devices`);
    const devices = new Map<string, RegisteredDevice>();
    for (const entry of parsed as RegisteredDevice[]) {
      if (!isValidDeviceId(entry?.deviceId) || !/^[0-9a-f]{64}$/.test(entry.keyHex) || typeof entry.keyId !== "string")
        throw new Error(`${this.path}: malformed device entry ${JSON.stringify(entry)}`);
      devices.set(entry.deviceId, entry);
    }
    this.#devices.clear();
    for (const [id, entry] of devices) this.#devices.set(id, entry);
  }

  get devices(): RegisteredDevice[] {
    return [...this.#devices.values()];
  }

  get(deviceId: string): RegisteredDevice | undefined {
    return this.#devices.get(deviceId);
  }

  /** The device's current key. A rotation saved by another process (`payterm cmd rotate-key`) is picked up. */
  keyFor(deviceId: string): DeviceKey | undefined {
    if (existsSync(this.path) && statSync(this.path).mtimeMs !== this.#loadedAt) this.#load();
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

  /** Records a rotated key (after the device answered ok to rotate-key). */
  setKey(deviceId: string, key: DeviceKey): void {
    const device = this.#devices.get(deviceId);
    if (!device) throw new Error(`device ${deviceId} is not in ${this.path}`);
    this.#devices.set(deviceId, { ...device, keyId: key.keyId, keyHex: Buffer.from(key.key).toString("hex") });
    this.#save();
  }

  /**
   * Adds devices from a backend import (`payterm provision`'s backend/devices.json or .csv, read
   * with readBackendImport), replacing any with the same id: provisioning is the source of truth
   * for identities and keys. Returns how many were added or replaced.
   */
  importDevices(devices: readonly RegisteredDevice[]): number {
    for (const { deviceId, product, language, keyId, keyHex } of devices) {
      if (!isValidDeviceId(deviceId) || !/^[0-9a-f]{64}$/.test(keyHex) || typeof keyId !== "string")
        throw new Error(`cannot import device ${JSON.stringify(deviceId)}: malformed id or key`);
      this.#devices.set(deviceId, { deviceId, product, language, keyId, keyHex });
    }
    this.#save();
    return devices.length;
  }

  #save(): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    // Through a rename, so the simulator, reading it while a CLI command writes it, never sees half.
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.devices, null, 1), { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.path);
    this.#loadedAt = statSync(this.path).mtimeMs;
  }
}
