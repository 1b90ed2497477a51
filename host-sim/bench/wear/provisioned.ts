/**
 * What a device's NVS holds before its first payment: `payterm provision`'s own image for a
 * merchant's soundbox and QR display, with the most a batch puts in (mutual TLS: the CA, the
 * client certificate and its key; Wi-Fi; the release and NFC keys), read back into the key-value
 * store through CountingKv, so the replay starts from the live entries a shipped device carries.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { p256 } from "@noble/curves/nist.js";
import { MemoryKv } from "../../../hal/memory/kv";
import { CONFIG_DOMAIN, PROVISIONED_KEYS } from "../../../firmware/config";
import type { Product } from "../../../hal/system";
import { projectRoot } from "../../paths";
import { nvsImagePath } from "../../provision/flash";
import { loadNvsIntoKv } from "../../provision/nvs/kv-image";
import { silentProgress } from "../../provision/progress";
import { provision } from "../../provision/provision";
import { CountingKv, type KvWrite } from "./counting-kv";

export const PARTITIONS_CSV = join(projectRoot, "hal", "moddable", "partitions.csv");

const MERCHANTS = "merchant_id,name,vpa,product\nM-0001,Sharma Chai Corner,sharma.chai@okaxis,soundbox\nM-0002,Patel Kirana Store,patel.kirana@ybl,qr-display\n";

function publicPoint(): Uint8Array {
  return p256.getPublicKey(p256.utils.randomSecretKey(), false);
}

/** Each product's provisioned contents as the writes that would put them in a store. */
export async function provisionedWrites(): Promise<Map<Product, KvWrite[]>> {
  const dir = mkdtempSync(join(tmpdir(), "payterm-bench-wear-provision-"));
  try {
    const source = join(dir, "merchants.csv");
    writeFileSync(source, MERCHANTS);
    const out = join(dir, "batch");
    const summary = await provision({
      out,
      merchants: { source, text: MERCHANTS },
      brokerUrl: "mqtts://mqtt.example.com:8883",
      auth: "tls",
      wifi: { ssid: "Sharma Chai 2.4G", psk: "chai-and-samosa-2024" },
      releaseKey: publicPoint(),
      nfcKey: publicPoint(),
      rotate: false,
      partitionTable: { text: readFileSync(PARTITIONS_CSV, "utf8"), source: PARTITIONS_CSV },
      chip: "esp32",
      baud: 921600,
      keepalive: 60,
      certificateDays: 3650,
      now: new Date(),
      progress: silentProgress,
    });
    const byProduct = new Map<Product, KvWrite[]>();
    for (const deviceId of summary.created) {
      const log: KvWrite[] = [];
      const kv = new MemoryKv();
      loadNvsIntoKv(readFileSync(join(out, nvsImagePath(deviceId))), new CountingKv(kv, log));
      byProduct.set(kv.get(CONFIG_DOMAIN, PROVISIONED_KEYS.product) as Product, log);
    }
    return byProduct;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
