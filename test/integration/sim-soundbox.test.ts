/**
 * The simulated soundbox as the web UI drives it: its controls pressed through the HAL buttons in
 * real time, every utterance written as a WAV and served by the web server at the URL the device
 * reports, the volume surviving a power cycle, on the embedded broker.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { volumeGain } from "../../firmware/soundbox/volume";
import { renderSounds } from "../../host-sim/audio/render";
import { VoicePack } from "../../host-sim/audio/voice-pack";
import { parseWav } from "../../host-sim/audio/wav";
import type { DeviceEvent } from "../../host-sim/device/event-log";
import type { SimDevice } from "../../host-sim/device/sim-device";
import { SOUNDBOX_CONTROLS, type SimSoundbox } from "../../host-sim/device/sim-soundbox";
import { SimulatorControl } from "../../host-sim/control/control";
import { Simulator } from "../../host-sim/simulator";
import { startWebServer, type WebServer } from "../../host-sim/web-server";

const DEVICE = "soundbox-ui";
const WAIT_MS = 15_000;

describe("the simulated soundbox's panel and speaker", () => {
  let simulator: Simulator;
  let control: SimulatorControl;
  let web: WebServer;
  let stateDir: string;
  let device: SimDevice;
  let panel: SimSoundbox;

  /** Resolves with the next WAV written for an utterance of this kind. */
  const written = (kind: string): Promise<DeviceEvent> =>
    device.log.waitFor((e) => e.name === "wav-written" && e.fields.kind === kind, WAIT_MS);

  const fetchWav = async (url: string) => {
    const response = await fetch(new URL(url, web.url));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("audio/wav");
    return new Uint8Array(await response.arrayBuffer());
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "payterm-sim-soundbox-"));
    // Speech at 4x real time: the WAVs are the same, the waits shorter.
    simulator = await Simulator.start({ stateDir, devices: [{ deviceId: DEVICE, product: "soundbox" }], speechSpeed: 4 });
    device = simulator.device(DEVICE);
    panel = device.soundbox!;
    control = new SimulatorControl(simulator);
    web = await startWebServer(control, 0);
    if (!device.log.events.some((e) => e.name === "connected")) await device.log.waitFor((e) => e.name === "connected", WAIT_MS);
  }, 30_000);

  afterAll(async () => {
    await web?.close();
    control?.close();
    await simulator?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("lists its controls for a panel", () => {
    expect(SOUNDBOX_CONTROLS.map((c) => c.id)).toEqual(["volumeDown", "volumeUp", "replay", "summary", "power"]);
    expect(simulator.device(DEVICE).soundbox).toBe(panel);
  });

  it("says a payment, and the web server serves its WAV at the URL the device reported", async () => {
    const wav = written("payment");
    const fields = await simulator.service.publish({ deviceId: DEVICE, amountMinor: 500, currency: "INR", provider: "UPI" });
    const event = await wav;
    expect(event.fields).toMatchObject({ txn: fields.transactionId, url: `/api/device/${DEVICE}/announcement/${fields.transactionId}.wav` });
    const served = await fetchWav(String(event.fields.url));
    expect(Buffer.from(served).equals(readFileSync(String(event.fields.file)))).toBe(true);
    expect(panel.state()?.today.totals).toEqual([{ currency: "INR", count: 1, totalMinor: 500 }]);
  }, 30_000);

  it("volume up says the new level, at the new level, in a WAV the web UI can fetch", async () => {
    const before = panel.state()!.volume;
    const wav = written("volume");
    await panel.press("volumeUp");
    const event = await wav;
    expect(panel.state()!.volume).toBe(before + 1);
    const clips = String(panel.announcements.find((a) => a.url === event.fields.url)?.clips).split(" ");
    expect(clips).toEqual(["volume", `n${before + 1}`]);
    const served = parseWav(await fetchWav(String(event.fields.url)));
    const expected = renderSounds(new VoicePack("en-in"), clips, volumeGain(before + 1));
    expect(Buffer.from(served.samples.buffer).equals(Buffer.from(expected.samples.buffer))).toBe(true);
  }, 30_000);

  it("replay says the latest payment; holding replay says today's summary", async () => {
    const replay = written("replay");
    await panel.press("replay");
    expect((await replay).fields.kind).toBe("replay");
    const today = written("today");
    await panel.press("replay", { hold: true });
    await today;
    const summary = written("today");
    await panel.press("summary");
    const event = await summary;
    expect(panel.announcements.find((a) => a.url === event.fields.url)?.clips).toBe("today n1 payment total n5 rupees");
  }, 30_000);

  it("power: a press says connected, holding switches off, a press switches on with the volume kept", async () => {
    const level = panel.state()!.volume;
    const connected = device.log.waitFor((e) => e.name === "spoken" && e.fields.status === "connected", WAIT_MS);
    await panel.press("power");
    await connected;
    await panel.press("power", { hold: true });
    expect(device.running).toBe(false);
    expect(panel.state()).toBeUndefined();
    await expect(panel.press("volumeUp")).rejects.toThrow(/switched off/);
    const ready = device.log.waitFor((e) => e.name === "spoken" && e.fields.status === "ready", WAIT_MS);
    await panel.press("power");
    await ready;
    expect(panel.state()?.volume).toBe(level);
  }, 30_000);
});
