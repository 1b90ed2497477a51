/**
 * Wi-Fi from a signed provisioning tag in the simulator: the QR display sits by the shop's access
 * point (the simulator's demo network). A technician's tag with the wrong passphrase is applied and
 * the display restarts onto it: the link stays down with "wrong-password" (an event in its log,
 * the reason in the control state the web UI shows) and the broker is not reached. A second tag
 * with the right passphrase brings it back online. Nothing is reflashed: only NVS changes.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulatorControl } from "../../host-sim/control/control";
import { DEMO_ACCESS_POINT } from "../../host-sim/device/sim-network";
import { Simulator } from "../../host-sim/simulator";

const DEVICE = "qr-wifi-1";

describe("Wi-Fi settings from a provisioning tag (simulator)", () => {
  let simulator: Simulator;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "payterm-wifi-"));
    simulator = await Simulator.start({ stateDir, devices: [{ deviceId: DEVICE, product: "qr-display" }], announcementWavs: false });
    await simulator.device(DEVICE).log.waitFor((e) => e.name === "subscribed", 10_000);
  });

  afterAll(async () => {
    await simulator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** Holds a signed tag setting `psk` on the shop's network until the display applies it and restarts. */
  async function provisionWifi(seq: number, psk: string): Promise<void> {
    const device = simulator.device(DEVICE);
    const provisioned = device.log.waitFor((e) => e.name === "nfc-provisioned" && e.fields.seq === seq, 5000);
    const restarted = device.log.waitFor((e) => e.name === "wifi-join", 10_000);
    simulator.nfc.placeTag(DEVICE, "provisioning", { seq, wifi: { ssid: DEMO_ACCESS_POINT.ssid, psk } });
    expect((await provisioned).fields.keys).toContain("ssid,psk");
    simulator.nfc.removeTag(DEVICE);
    expect((await restarted).fields).toEqual({ ssid: DEMO_ACCESS_POINT.ssid });
  }

  it("a wrong passphrase leaves the display offline with the reason, shown in its state", async () => {
    const device = simulator.device(DEVICE);
    const down = device.log.waitFor((e) => e.name === "wifi-down", 10_000);
    await provisionWifi(1, "not the shop's passphrase");
    expect((await down).fields).toEqual({ reason: "wrong-password" });
    expect(device.network.status()).toEqual({ link: "down", rssi: undefined, reason: "wrong-password" });
    const control = new SimulatorControl(simulator);
    try {
      expect(control.state().devices.find((d) => d.deviceId === DEVICE)).toMatchObject({ link: "down", linkReason: "wrong-password" });
    } finally {
      control.close();
    }
    expect(device.firmware.session.state).not.toBe("online");
    // The passphrase went to the network, never into the log.
    expect(device.network.joined?.psk).toBe("not the shop's passphrase");
    expect(device.log.events.some((e) => JSON.stringify(e.fields).includes("not the shop's passphrase"))).toBe(false);
  });

  it("a tag with the right passphrase brings it back: link up, subscribed", async () => {
    const device = simulator.device(DEVICE);
    const up = device.log.waitFor((e) => e.name === "wifi-up", 10_000);
    const subscribed = device.log.waitFor((e) => e.name === "subscribed", 20_000);
    await provisionWifi(2, DEMO_ACCESS_POINT.psk);
    await up;
    await subscribed;
    expect(device.network.status().link).toBe("up");
  });
});
