/**
 * Wi-Fi from provisioning, end to end: `payterm provision` names the batch's network and a
 * merchant's own; each device's NVS image is read back into the simulator's key-value store and a
 * simulated device boots on it beside the shop's access point (the simulator's model of the
 * router, which checks SSID and passphrase), with defaults that reach no broker. With the
 * provisioned network in the access point, the device joins it and connects to a private mosquitto
 * running the batch's ACL and password file, with the credentials from its image. With another
 * passphrase in the access point, it stays offline as `wrong-password` until the router takes the
 * provisioned one again.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { WifiSettings } from "../../hal/network";
import { provisionedDeviceId, provisionedProduct } from "../../firmware/config";
import { SimDevice } from "../../host-sim/device/sim-device";
import type { DeviceKey } from "../../host-sim/service/confirmation";
import type { Mosquitto } from "../support/mosquitto";
import { ProvisionedBatch } from "../support/provisioned-batch";

const CHAIN: WifiSettings = { ssid: "Chain WiFi", psk: "chain passphrase 2026" };
const PATEL: WifiSettings = { ssid: "Patel Kirana 5G", psk: " kirana passphrase, 5G " };
const CSV = [
  "merchant_id,name,vpa,product,wifi_ssid,wifi_psk",
  "M-001,Sharma Chai Corner,sharma.chai@okaxis,soundbox,,",
  `M-002,Patel Kirana,patel.kirana@ybl,qr-display,${PATEL.ssid},"${PATEL.psk}"`,
].join("\n");

describe("provisioned Wi-Fi: NVS image -> simulated device by the shop's access point -> mosquitto", () => {
  let batch: ProvisionedBatch;
  let broker: Mosquitto;
  const devices: SimDevice[] = [];

  beforeAll(async () => {
    batch = await ProvisionedBatch.make("provision-wifi", { merchantsCsv: CSV, wifi: CHAIN });
    broker = await batch.startMosquitto();
  });

  afterAll(async () => {
    for (const device of devices) device.stop();
    await broker?.stop();
    batch?.remove();
  });

  /** A simulated device whose NVS is `merchant`'s image, by an access point with `accessPoint`'s network. */
  function bootBy(merchant: string, accessPoint: WifiSettings): SimDevice {
    const deviceId = batch.devices.find((d) => d.merchantId === merchant)?.deviceId as string;
    const stateDir = join(batch.dir, "sim", deviceId);
    mkdirSync(stateDir, { recursive: true });
    const { kv } = batch.image(deviceId, join(stateDir, `${deviceId}.nvs.json`));
    expect(provisionedDeviceId(kv)).toBe(deviceId);
    const device = new SimDevice({
      deviceId,
      product: provisionedProduct(kv) as "soundbox" | "qr-display",
      broker: { host: "unprovisioned.invalid", port: 1 },
      language: "en-in",
      key: batch.registry().keyFor(deviceId) as DeviceKey,
      stateDir,
      accessPoint,
    });
    devices.push(device);
    return device;
  }

  it("joins the batch's network when the access point has it, and connects to mosquitto with the image's credentials", async () => {
    const device = bootBy("M-001", CHAIN);
    const joined = device.log.waitFor((e) => e.name === "wifi-join");
    const subscribed = device.log.waitFor((e) => e.name === "subscribed", 10_000);
    device.start();
    expect((await joined).fields).toEqual({ ssid: CHAIN.ssid });
    await subscribed;
    expect(device.network.joined).toEqual(CHAIN);
    expect(device.network.status().link).toBe("up");
    // mosquitto runs the batch's password file and refuses anonymous clients: only the image's credentials get in.
    expect(device.firmware.session.state).toBe("online");
    expect(device.log.events.some((e) => JSON.stringify(e.fields).includes(CHAIN.psk))).toBe(false);
  });

  it("with another passphrase in the access point stays offline as wrong-password, and connects once the router takes the provisioned one", async () => {
    const device = bootBy("M-002", { ssid: PATEL.ssid, psk: "the shop changed it" });
    const down = device.log.waitFor((e) => e.name === "wifi-down");
    device.start();
    expect((await down).fields).toEqual({ reason: "wrong-password" });
    expect(device.network.joined).toEqual(PATEL);
    expect(device.network.status()).toEqual({ link: "down", rssi: undefined, reason: "wrong-password" });
    expect(device.firmware.session.state).not.toBe("online");
    expect(device.log.events.filter((e) => e.name === "connected")).toEqual([]);

    const subscribed = device.log.waitFor((e) => e.name === "subscribed", 20_000);
    device.network.setAccessPoint(PATEL);
    await subscribed;
    expect(device.firmware.session.state).toBe("online");
  });
});
