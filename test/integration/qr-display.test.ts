/**
 * The QR display on the embedded broker: its idle frame decodes, from the pixels, to the
 * merchant's UPI link; a confirmation turns the screen to success and back to idle.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { Simulator } from "../../host-sim/simulator";

const DEVICE = "qr-t1";

function decodeScreen(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
}

describe("QR display slice", () => {
  let simulator: Simulator;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "payterm-qr-"));
    simulator = await Simulator.start({
      stateDir,
      devices: [{ deviceId: DEVICE, product: "qr-display" }],
      merchant: { vpa: "chai.corner@okicici", name: "Chai Corner & Co" },
    });
    await simulator.device(DEVICE).log.waitFor((e) => e.name === "connected");
  });

  afterAll(async () => {
    await simulator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("shows the merchant's static UPI QR when idle, decodable from the framebuffer", () => {
    const display = simulator.device(DEVICE).display!;
    expect(decodeScreen(display.toPng())).toBe("upi://pay?pa=chai.corner@okicici&pn=Chai%20Corner%20%26%20Co&cu=INR");
  });

  it("shows success for a confirmation, then the static QR again", async () => {
    const device = simulator.device(DEVICE);
    const success = device.log.waitFor((e) => e.name === "screen" && e.fields.screen === "success");
    const fields = await simulator.service.publish({ deviceId: DEVICE, amountMinor: 4500, currency: "INR", provider: "UPI" });
    expect((await success).fields.txn).toBe(fields.transactionId);
    expect(decodeScreen(device.display!.toPng())).toBeUndefined();
    await device.log.waitFor((e) => e.name === "screen" && e.fields.screen === "idle", 6000);
    expect(decodeScreen(device.display!.toPng())).toContain("pa=chai.corner@okicici");
  });
});
