/**
 * What a provisioning batch is made of. The ledger (provision.json in the output directory) holds
 * these records; every other output file is derived from it, so a rerun rebuilds the same files.
 */
import type { WifiSettings } from "../../hal/network";
import type { Product } from "../../hal/system";
import type { WifiOverride } from "./wifi";

export const PRODUCTS: readonly Product[] = ["soundbox", "qr-display"];

/** How devices authenticate to the broker: a username and password, or a client certificate. */
export type AuthMode = "password" | "tls";

/** The merchant a device is bound to, and what its static QR carries. */
export interface MerchantBinding {
  id: string;
  name: string;
  /** UPI: the payee VPA; the static QR is a upi://pay link. */
  vpa?: string;
  /** Merchant category code (4 digits). */
  mcc?: string;
  /** EMVCo merchant-presented mode: the static payload, CRC included. */
  emvco?: string;
}

export interface BrokerCredentials {
  username: string;
  /** Password mode: the secret the client presents, and its mosquitto `$7$` hash. */
  password?: string;
  passwordHash?: string;
  /** TLS mode: the client certificate (PEM) and its private key (PKCS#8, PEM). */
  certificate?: string;
  privateKey?: string;
}

export interface DeviceRecord {
  deviceId: string;
  product: Product;
  language: string;
  /**
   * What asked for this device, so a rerun finds it again: `merchant:<id>:<product>`,
   * `device:<id>` (an id given in the CSV) or `unbound:<product>:<n>` (from --count).
   */
  slot: string;
  merchant?: MerchantBinding;
  /** The merchants CSV row's Wi-Fi cells, over the batch's network (settings.wifi). */
  wifi?: WifiOverride;
  keyId: string;
  /** The 32-byte HMAC key, hex. */
  keyHex: string;
  mqtt: BrokerCredentials;
  createdAt: string;
  rotatedAt?: string;
}

export interface BatchSettings {
  /** mqtt://host:port or mqtts://host:port, as devices reach the broker. */
  brokerUrl: string;
  auth: AuthMode;
  idPrefix: string;
  serviceUser: string;
  /** The operator's release-publisher account (`payterm release publish`); absent in ledgers from before it existed. */
  releaseUser?: string;
  /** The operator's release key (config/updKey) and NFC provisioning-tag key (config/opKey), hex of the P-256 point. */
  releaseKeyHex?: string;
  nfcKeyHex?: string;
  /** The network every device joins unless its row names its own (config/ssid, config/psk); psk "" is open. */
  wifi?: WifiSettings;
}

export interface CaRecord {
  /** The operator CA certificate, PEM. */
  certificate: string;
  /** "generated": its key is ca/ca.key in the output directory; "loaded": the operator keeps it. */
  source: "generated" | "loaded";
}

/** A broker certificate the operator CA issued (--server-name). */
export interface ServerCertificateRecord {
  names: string[];
  /** The server certificate followed by the CA certificate, PEM. */
  chain: string;
  privateKey: string;
}

export interface Ledger {
  format: 1;
  settings: BatchSettings;
  service: BrokerCredentials;
  /** The release publisher's credentials: commands and update topics of every device, nothing else. */
  release?: BrokerCredentials;
  ca?: CaRecord;
  server?: ServerCertificateRecord;
  devices: DeviceRecord[];
}
