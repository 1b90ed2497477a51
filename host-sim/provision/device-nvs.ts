/**
 * What a device's NVS partition holds after provisioning, in the domains the firmware reads:
 * "config" (firmware/config.ts: identity, broker, credentials, language, Wi-Fi, merchant), "keys"
 * (firmware/payments/keyring.ts: the HMAC key under its key id) and, for TLS, "tls" (the trust
 * anchor, client certificate and PKCS#8 key as DER blobs, which config's tlsCa, tlsCert and tlsKey
 * name as "nvs:<key>", firmware/broker.ts).
 */
import type { KvValue } from "../../hal/kv";
import { TLS_DOMAIN } from "../../firmware/broker";
import { CONFIG_DOMAIN, PROVISIONED_KEYS } from "../../firmware/config";
import { KEYRING_DOMAIN } from "../../firmware/payments/keyring";
import { WIFI_KEYS } from "../../firmware/wifi-settings";
import type { WifiSettings } from "../../hal/network";
import type { BrokerAddress } from "./broker-url";
import { merchantQrPayload } from "./merchant-qr";
import type { KvDomains } from "./nvs/kv-image";
import type { DeviceRecord } from "./model";
import { pemToDer } from "./pem";
import { deviceWifi } from "./wifi";

/** The config key that names each blob of the tls domain. */
const TLS_REFERENCES: Record<string, string> = { ca: "tlsCa", cert: "tlsCert", key: "tlsKey" };

/** A copy in an ArrayBuffer of its own (a Buffer's may be a slice of a shared pool). */
function buffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

export interface DeviceNvsOptions {
  broker: BrokerAddress;
  /** The CA the device trusts for the broker's certificate, PEM, when the broker speaks TLS. */
  trustAnchorPem?: string;
  keepalive: number;
  /** Uncompressed P-256 points the firmware verifies signatures with. */
  releaseKey?: Uint8Array;
  nfcKey?: Uint8Array;
  /** The batch's Wi-Fi network, which a device's own (its CSV row's) completes or replaces. */
  wifi?: WifiSettings;
}

export function deviceDomains(device: DeviceRecord, options: DeviceNvsOptions): KvDomains {
  const { broker } = options;
  const config: [string, KvValue][] = [
    [PROVISIONED_KEYS.deviceId, device.deviceId],
    [PROVISIONED_KEYS.product, device.product],
    ["host", broker.host],
    ["port", broker.port],
    ["tls", broker.tls],
    ["keepalive", options.keepalive],
    ["lang", device.language],
  ];
  // Open networks get psk "" written out, as a provisioning tag writes it (firmware/config.ts reads both alike).
  const wifi = deviceWifi(options.wifi, device.wifi);
  if (wifi) config.push([WIFI_KEYS.ssid, wifi.ssid], [WIFI_KEYS.psk, wifi.psk]);
  // Read by firmware/config.ts as updatePublicKey and operatorPublicKey.
  if (options.releaseKey) config.push(["updKey", buffer(options.releaseKey)]);
  if (options.nfcKey) config.push(["opKey", buffer(options.nfcKey)]);
  const tls: [string, KvValue][] = [];
  const { mqtt } = device;
  if (mqtt.password !== undefined) config.push(["user", mqtt.username], ["pass", mqtt.password]);
  if (broker.tls && options.trustAnchorPem) tls.push(["ca", buffer(pemToDer(options.trustAnchorPem))]);
  if (mqtt.certificate && mqtt.privateKey) tls.push(["cert", buffer(pemToDer(mqtt.certificate))], ["key", buffer(pemToDer(mqtt.privateKey))]);
  for (const [key] of tls) config.push([TLS_REFERENCES[key], `nvs:${key}`]);
  const merchant = device.merchant;
  if (merchant) {
    config.push(["payee", merchant.name]);
    if (merchant.vpa) config.push(["vpa", merchant.vpa]);
    if (merchant.vpa || merchant.emvco) config.push([PROVISIONED_KEYS.merchantQr, merchantQrPayload(merchant)]);
  }
  const domains: [string, [string, KvValue][]][] = [
    [CONFIG_DOMAIN, config],
    [KEYRING_DOMAIN, [[device.keyId, buffer(Buffer.from(device.keyHex, "hex"))]]],
  ];
  if (tls.length > 0) domains.push([TLS_DOMAIN, tls]);
  return domains;
}
