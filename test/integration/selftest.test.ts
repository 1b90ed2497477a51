/**
 * The factory self-test on the simulator over a real broker (aedes): the `selftest` command from
 * the payment service, the operator pressing buttons, the QR display's test pattern read back
 * from its framebuffer by jsQR, the soundbox's tone sweep heard by the simulated speaker, and the
 * report as a factory station receives it (mqtt.js and cbor-x, not the firmware's code).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jsQR from "jsqr";
import mqtt, { type MqttClient } from "mqtt";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../host-sim/broker/embedded";
import type { DeviceEvent } from "../../host-sim/device/event-log";
import { rgb565ToRgba } from "../../host-sim/hal/framebuffer-display";
import { decodeProtocolCbor } from "../../host-sim/service/cbor";
import { Simulator } from "../../host-sim/simulator";

const SOUNDBOX = "st-sb";
const QR = "st-qr";

let broker: EmbeddedBroker;
let simulator: Simulator;
let stateDir: string;
let station: MqttClient;
const reports = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  stateDir = mkdtempSync(join(tmpdir(), "payterm-selftest-"));
  simulator = await Simulator.start({
    stateDir,
    brokerUrl: broker.url,
    devices: [
      { deviceId: SOUNDBOX, product: "soundbox" },
      { deviceId: QR, product: "qr-display" },
    ],
  });
  await Promise.all([SOUNDBOX, QR].map((id) => simulator.device(id).log.waitFor((e) => e.name === "subscribed")));
  station = await mqtt.connectAsync(broker.url, { clientId: "factory-station", protocolVersion: 4 });
  station.on("message", (topic, payload) => reports.set(topic.split("/")[2], decodeProtocolCbor(payload) as Record<string, unknown>));
  await station.subscribeAsync("pt/v1/+/selftest", { qos: 1 });
});

afterAll(async () => {
  await station.endAsync();
  await simulator.stop();
  await broker.close();
  rmSync(stateDir, { recursive: true, force: true });
});

function nextEvent(id: string, predicate: (e: DeviceEvent) => boolean, timeoutMs = 10_000): Promise<DeviceEvent> {
  return simulator.device(id).log.waitFor(predicate, timeoutMs);
}

async function reportOf(id: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  while (!reports.has(id)) {
    if (Date.now() > until) throw new Error(`no self-test report from ${id}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return reports.get(id) as Record<string, unknown>;
}

type Check = { name: string; st: string; msg: string; val?: Record<string, unknown> };
const byName = (report: Record<string, unknown>) => Object.fromEntries((report.checks as Check[]).map((c) => [c.name, c]));

describe("factory self-test (simulator, aedes)", () => {
  it("QR display: the test pattern carries a QR code jsQR reads; the PN532, buttons, battery and network pass", async () => {
    const device = simulator.device(QR);
    const display = device.display;
    if (!display) throw new Error("the QR display has a screen");
    let pattern: Uint8ClampedArray | undefined;
    const stop = device.log.listen((e) => {
      // The pattern is on screen when its check ends; the next screen comes later.
      if (e.name === "selftest-check" && e.fields.check === "display") {
        pattern = new Uint8ClampedArray(display.width * display.height * 4);
        rgb565ToRgba(display.pixels, pattern);
      }
    });
    const buttonsStep = nextEvent(QR, (e) => e.name === "selftest-step" && e.fields.check === "buttons");
    const result = await simulator.service.command(QR, "selftest");
    expect(result).toMatchObject({ status: "ok", result: { started: true } });
    await buttonsStep;
    for (const button of device.buttons.available) await device.buttons.press(button, 30);
    const report = await reportOf(QR);
    stop();
    expect(report).toMatchObject({ v: 1, result: "pass", trigger: "command", product: "qr-display" });
    const checks = byName(report);
    expect(Object.keys(checks)).toEqual(["speaker", "display", "nfc", "buttons", "battery", "network"]);
    expect(checks.speaker.st).toBe("skip");
    expect(checks.display).toMatchObject({ st: "pass", val: { w: 240, h: 320, qr: `PAYTERM SELFTEST ${QR}` } });
    // The simulator's PN532 (host-sim/nfc) answers GetFirmwareVersion as the chip does.
    expect(checks.nfc).toMatchObject({ st: "pass", val: { ic: 0x32 } });
    expect(checks.buttons).toMatchObject({ st: "pass", val: { missing: [] } });
    expect(checks.network.st).toBe("pass");
    expect(pattern).toBeDefined();
    expect(jsQR(pattern as Uint8ClampedArray, display.width, display.height)?.data).toBe(`PAYTERM SELFTEST ${QR}`);
  });

  it("soundbox: the sweep plays through the speaker; a button after the report restarts it", async () => {
    const device = simulator.device(SOUNDBOX);
    const tones: string[] = [];
    const stop = device.log.listen((e) => {
      if (e.name === "clip" && String(e.fields.clip).startsWith("tone:")) tones.push(String(e.fields.clip));
    });
    const buttonsStep = nextEvent(SOUNDBOX, (e) => e.name === "selftest-step" && e.fields.check === "buttons");
    expect((await simulator.service.command(SOUNDBOX, "selftest")).status).toBe("ok");
    await buttonsStep;
    for (const button of device.buttons.available) await device.buttons.press(button, 30);
    const report = await reportOf(SOUNDBOX);
    expect(report.result).toBe("pass");
    expect(tones.slice(0, 6)).toEqual(["tone:300:200", "tone:600:200", "tone:1000:200", "tone:1500:200", "tone:2200:200", "tone:3000:200"]);
    const restarted = nextEvent(SOUNDBOX, (e) => e.name === "started");
    await device.buttons.press("replay", 30);
    await restarted;
    stop();
    expect((await simulator.service.command(SOUNDBOX, "selftest")).status).toBe("ok");
  });
});
