/**
 * The backend import: what the payment service needs to know about each device (its id, product,
 * language, HMAC key and key id, broker username, merchant and static QR), as JSON and as CSV.
 * `readBackendImport` reads either back; host-sim/registry.ts loads it into the simulator.
 */
import { createHash } from "node:crypto";
import type { Product } from "../../hal/system";
import { isValidDeviceId } from "../../firmware/protocol/topics";
import { formatCsv, parseCsv } from "./csv";
import { merchantQrPayload } from "./merchant-qr";
import { PRODUCTS, type AuthMode, type DeviceRecord } from "./model";
import { pemToDer } from "./pem";

export const BACKEND_FORMAT = "payterm-devices/1";

export interface BackendDevice {
  deviceId: string;
  product: Product;
  language: string;
  keyId: string;
  keyHex: string;
  mqttUsername: string;
  auth: AuthMode;
  /** SHA-256 of the client certificate's DER, hex, in TLS mode. */
  certificateSha256?: string;
  merchantId?: string;
  merchantName?: string;
  vpa?: string;
  staticQr?: string;
  createdAt: string;
  rotatedAt?: string;
}

const CSV_COLUMNS = [
  "device_id", "product", "language", "key_id", "key_hex", "mqtt_username", "auth", "certificate_sha256",
  "merchant_id", "merchant_name", "vpa", "static_qr", "created_at", "rotated_at",
] as const;

export function backendDevice(device: DeviceRecord, auth: AuthMode): BackendDevice {
  const out: BackendDevice = {
    deviceId: device.deviceId,
    product: device.product,
    language: device.language,
    keyId: device.keyId,
    keyHex: device.keyHex,
    mqttUsername: device.mqtt.username,
    auth,
    createdAt: device.createdAt,
  };
  if (device.mqtt.certificate) out.certificateSha256 = createHash("sha256").update(pemToDer(device.mqtt.certificate)).digest("hex");
  if (device.merchant) {
    out.merchantId = device.merchant.id;
    out.merchantName = device.merchant.name;
    if (device.merchant.vpa) out.vpa = device.merchant.vpa;
    if (device.merchant.vpa || device.merchant.emvco) out.staticQr = merchantQrPayload(device.merchant);
  }
  if (device.rotatedAt) out.rotatedAt = device.rotatedAt;
  return out;
}

export function backendJson(devices: readonly BackendDevice[]): string {
  return `${JSON.stringify({ format: BACKEND_FORMAT, devices }, null, 2)}\n`;
}

export function backendCsv(devices: readonly BackendDevice[]): string {
  return formatCsv([
    [...CSV_COLUMNS],
    ...devices.map((d) => [
      d.deviceId, d.product, d.language, d.keyId, d.keyHex, d.mqttUsername, d.auth, d.certificateSha256 ?? "",
      d.merchantId ?? "", d.merchantName ?? "", d.vpa ?? "", d.staticQr ?? "", d.createdAt, d.rotatedAt ?? "",
    ]),
  ]);
}

function check(device: BackendDevice, where: string): BackendDevice {
  const problems: string[] = [];
  if (!isValidDeviceId(device.deviceId)) problems.push(`device id ${JSON.stringify(device.deviceId)} is not valid`);
  if (!PRODUCTS.includes(device.product)) problems.push(`product ${JSON.stringify(device.product)} is not one of ${PRODUCTS.join(", ")}`);
  if (!/^[0-9a-f]{64}$/.test(device.keyHex)) problems.push("key_hex must be 64 lowercase hex digits (32 bytes)");
  if (!/^[A-Za-z0-9._-]{1,15}$/.test(device.keyId)) problems.push(`key id ${JSON.stringify(device.keyId)} must be 1-15 of A-Z a-z 0-9 . _ -`);
  if (typeof device.language !== "string" || device.language === "") problems.push("language is missing");
  if (problems.length > 0) throw new Error(`${where}: ${problems.join("; ")}`);
  return device;
}

/** Devices from a backend import file's text; `name` ends in .json or .csv. */
export function readBackendImport(text: string, name: string): BackendDevice[] {
  if (name.endsWith(".json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`${name}: not valid JSON (${(error as Error).message})`);
    }
    const root = parsed as { format?: unknown; devices?: unknown };
    if (root?.format !== BACKEND_FORMAT || !Array.isArray(root.devices)) throw new Error(`${name}: not a ${BACKEND_FORMAT} file`);
    return (root.devices as BackendDevice[]).map((d, i) => check(d, `${name} device ${i + 1}`));
  }
  if (name.endsWith(".csv")) {
    const [header, ...rows] = parseCsv(text);
    if (!header || header.fields.join(",") !== CSV_COLUMNS.join(",")) throw new Error(`${name}: the header is not ${CSV_COLUMNS.join(",")}`);
    return rows.map(({ line, fields }) => {
      if (fields.length !== CSV_COLUMNS.length) throw new Error(`${name} row ${line}: ${fields.length} fields, expected ${CSV_COLUMNS.length}`);
      const get = (column: (typeof CSV_COLUMNS)[number]) => fields[CSV_COLUMNS.indexOf(column)];
      const optional = (column: (typeof CSV_COLUMNS)[number]) => get(column) || undefined;
      const device: BackendDevice = {
        deviceId: get("device_id"),
        product: get("product") as Product,
        language: get("language"),
        keyId: get("key_id"),
        keyHex: get("key_hex"),
        mqttUsername: get("mqtt_username"),
        auth: get("auth") as AuthMode,
        certificateSha256: optional("certificate_sha256"),
        merchantId: optional("merchant_id"),
        merchantName: optional("merchant_name"),
        vpa: optional("vpa"),
        staticQr: optional("static_qr"),
        createdAt: get("created_at"),
        rotatedAt: optional("rotated_at"),
      };
      for (const key of Object.keys(device) as (keyof BackendDevice)[]) if (device[key] === undefined) delete device[key];
      return check(device, `${name} row ${line}`);
    });
  }
  throw new Error(`${name}: a backend import is a .json or .csv file`);
}
