/**
 * provision.json: the batch's record of every identity it made, in the output directory (0600).
 * It is the only state provisioning keeps; a rerun reads it to keep identities as they are, and
 * every other output file is rebuilt from it. Read strictly: a ledger that does not parse or does
 * not hold what it should stops the run before anything is written.
 */
import type { OutputDir } from "./files";
import { PRODUCTS, type DeviceRecord, type Ledger } from "./model";
import { isValidDeviceId } from "../../firmware/protocol/topics";

export const LEDGER_FILE = "provision.json";

export class LedgerError extends Error {}

function fail(message: string): never {
  throw new LedgerError(`${LEDGER_FILE}: ${message}`);
}

function checkDevice(device: DeviceRecord, i: number, seen: Set<string>): void {
  const where = `device ${i + 1}`;
  if (typeof device !== "object" || device === null) fail(`${where} is not an object`);
  if (!isValidDeviceId(device.deviceId)) fail(`${where} has an invalid device id ${JSON.stringify(device.deviceId)}`);
  if (seen.has(device.deviceId)) fail(`device id ${device.deviceId} appears twice`);
  seen.add(device.deviceId);
  if (!PRODUCTS.includes(device.product)) fail(`${device.deviceId} has an unknown product ${JSON.stringify(device.product)}`);
  if (typeof device.slot !== "string" || !device.slot) fail(`${device.deviceId} has no slot`);
  if (!/^[0-9a-f]{64}$/.test(device.keyHex)) fail(`${device.deviceId} has a malformed HMAC key`);
  if (typeof device.keyId !== "string" || !/^[A-Za-z0-9._-]{1,15}$/.test(device.keyId)) fail(`${device.deviceId} has a malformed key id`);
  if (typeof device.mqtt?.username !== "string") fail(`${device.deviceId} has no broker username`);
  if (device.wifi !== undefined && !wifiFieldsAreText(device.wifi, false)) fail(`${device.deviceId} has malformed Wi-Fi settings`);
}

/** A network's fields are text (both of them for the batch's; either for a row's). */
function wifiFieldsAreText(wifi: unknown, both: boolean): boolean {
  if (typeof wifi !== "object" || wifi === null) return false;
  const { ssid, psk } = wifi as { ssid?: unknown; psk?: unknown };
  const ok = (field: unknown) => typeof field === "string" || (!both && field === undefined);
  return ok(ssid) && ok(psk);
}

export function readLedger(out: OutputDir): Ledger | undefined {
  const bytes = out.read(LEDGER_FILE);
  if (bytes === undefined) return undefined;
  let ledger: Ledger;
  try {
    ledger = JSON.parse(bytes.toString("utf8")) as Ledger;
  } catch (error) {
    fail(`not valid JSON (${(error as Error).message}); restore it from a backup, it holds the batch's keys`);
  }
  if (ledger?.format !== 1) fail(`format ${JSON.stringify(ledger?.format)} is not 1`);
  if (!ledger.settings || typeof ledger.settings.brokerUrl !== "string") fail("settings are missing");
  if (ledger.settings.wifi !== undefined && !wifiFieldsAreText(ledger.settings.wifi, true)) fail("the batch's Wi-Fi settings are malformed");
  if (!Array.isArray(ledger.devices)) fail("devices is not an array");
  const seen = new Set<string>();
  ledger.devices.forEach((device, i) => checkDevice(device, i, seen));
  const slots = new Set<string>();
  for (const device of ledger.devices) {
    if (slots.has(device.slot)) fail(`slot ${device.slot} is held by two devices`);
    slots.add(device.slot);
  }
  return ledger;
}

export function writeLedger(out: OutputDir, ledger: Ledger): void {
  out.write(LEDGER_FILE, `${JSON.stringify(ledger, null, 1)}\n`);
}
