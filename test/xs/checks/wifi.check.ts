/**
 * Wi-Fi settings from provisioning, on XS: the firmware joins the network NVS names (config/ssid,
 * config/psk, as an NVS image or a signed provisioning tag leaves them) in preference to the
 * build's, keeps the platform's own link when nothing is provisioned, and never logs the
 * passphrase. The in-memory network plays the shop's access point: a wrong passphrase leaves the
 * link down with the reason "wrong-password"; a tag with the right one, applied and followed by
 * the restart the NFC terminal makes, brings it up. No reflash in between: only NVS changes.
 */
import { CONFIG_DOMAIN, type DeviceDefaults } from "../../../firmware/config";
import { startDevice } from "../../../firmware/device";
import { applyProvisioning } from "../../../firmware/nfc/provisioning-tag";
import { Keyring } from "../../../firmware/payments/keyring";
import { createMemoryHal, MemoryKv, type MemoryHal } from "../../../hal/memory/index";
import type { WifiSettings } from "../../../hal/network";
import { check, done, equal } from "./assert";

const DEFAULTS: DeviceDefaults = { brokerHost: "broker.test", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 };
const SHOP: WifiSettings = { ssid: "Chai Corner", psk: "masala chai 2026" };

/** One boot of a QR display on `kv` (its NVS, kept across boots), beside the shop's access point. */
function boot(kv: MemoryKv, defaults: DeviceDefaults = DEFAULTS): MemoryHal {
  const hal = createMemoryHal({ deviceId: "qr-wifi-1", product: "qr-display", kv, seed: 4 });
  new Keyring(hal.kv).put("k1", Uint8Array.from({ length: 32 }, (_, i) => i));
  hal.network.setAccessPoint(SHOP);
  const device = startDevice(hal, defaults);
  device.stop();
  return hal;
}

function passphraseLogged(hal: MemoryHal, psk: string): boolean {
  return hal.log.events.some((e) => JSON.stringify(e.fields).includes(psk));
}

check("nothing provisioned: the platform's own link is kept", () => {
  const hal = boot(new MemoryKv());
  equal(hal.network.joined, undefined);
  equal(hal.network.status().link, "up");
  equal(hal.log.named("wifi-join").length, 0);
});

check("the build's network when NVS names none", () => {
  const hal = boot(new MemoryKv(), { ...DEFAULTS, wifi: SHOP });
  equal(hal.network.joined, SHOP);
  equal(hal.network.status(), { link: "up", rssi: -55 });
});

check("NVS config/ssid and psk win over the build's, and the passphrase is not logged", () => {
  const kv = new MemoryKv();
  kv.set(CONFIG_DOMAIN, "ssid", SHOP.ssid);
  kv.set(CONFIG_DOMAIN, "psk", SHOP.psk);
  const hal = boot(kv, { ...DEFAULTS, wifi: { ssid: "factory-test", psk: "factory passphrase" } });
  equal(hal.network.joined, SHOP);
  equal(hal.network.status().link, "up");
  equal(hal.log.named("wifi-join").map((e) => e.fields), [{ ssid: SHOP.ssid }]);
  equal(passphraseLogged(hal, SHOP.psk), false);
});

check("an SSID without a psk is an open network", () => {
  const kv = new MemoryKv();
  kv.set(CONFIG_DOMAIN, "ssid", "Open Cafe");
  equal(boot(kv).network.joined, { ssid: "Open Cafe", psk: "" });
});

check("a wrong passphrase: the link stays down with the reason; the right one from a tag brings it up after the restart", () => {
  const kv = new MemoryKv();
  applyProvisioning(kv, { seq: 1, wifi: { ssid: SHOP.ssid, psk: "masala chai 2025" } });
  const wrong = boot(kv);
  equal(wrong.network.status(), { link: "down", rssi: undefined, reason: "wrong-password" });
  applyProvisioning(kv, { seq: 2, wifi: SHOP });
  const right = boot(kv);
  equal(right.network.joined, SHOP);
  equal(right.network.status(), { link: "up", rssi: -55 });
});

check("another network's name: down as out of reach", () => {
  const kv = new MemoryKv();
  applyProvisioning(kv, { seq: 1, wifi: { ssid: "Neighbour", psk: SHOP.psk } });
  equal(boot(kv).network.status(), { link: "down", rssi: undefined, reason: "lost" });
});

done();
