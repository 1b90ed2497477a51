/**
 * The web UI server over HTTP (the browser test drives the page itself): the event stream, the
 * framebuffer as RGB565, voice clips, and refusal of every malformed or foreign request.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { SimulatorControl } from "../../host-sim/control/control";
import { Simulator } from "../../host-sim/simulator";
import { startWebServer, type WebServer } from "../../host-sim/web-server";
import { VoicePack } from "../../host-sim/audio/voice-pack";

describe("web UI server", () => {
  let simulator: Simulator;
  let control: SimulatorControl;
  let web: WebServer;
  let stateDir: string;

  const url = (path: string) => new URL(path, web.url).toString();
  const post = (path: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) =>
    fetch(url(path), { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "payterm-web-"));
    simulator = await Simulator.start({ stateDir });
    control = new SimulatorControl(simulator);
    web = await startWebServer(control, 0);
    await Promise.all([...simulator.devices.keys()].map((id) => control.online(id)));
  });

  afterAll(async () => {
    await web.close();
    control.close();
    await simulator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("serves the page and its bundled script", async () => {
    const page = await fetch(web.url);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    const app = await (await fetch(url("/app.js"))).text();
    expect(app).toContain("EventSource");
  });

  it("streams state and events, then batches with the frame numbers that changed", async () => {
    const abort = new AbortController();
    const res = await fetch(url("/api/events"), { signal: abort.signal });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        text += Buffer.from(value).toString("utf8");
      }
    };
    await until(/event: init\ndata: .*\n\n/);
    const init = JSON.parse(/event: init\ndata: (.*)\n/.exec(text)![1]);
    expect(init.state.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual(["soundbox-1", "qr-display-1"]);
    const reply = await post("/api/pay", { deviceId: "qr-display-1", amount: "12.00", currency: "INR", provider: "Paytm" });
    expect(reply.status).toBe(202);
    const { transactionId } = (await reply.json()) as { transactionId: string };
    await until(new RegExp(`"name":"acked"[^\\n]*"txn":"${transactionId}"`));
    const batches = [...text.matchAll(/event: batch\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]));
    expect(batches.some((b) => (b.frames["qr-display-1"] ?? 0) > 0)).toBe(true);
    abort.abort();
  });

  it("serves the framebuffer as the firmware drew it, RGB565 little-endian, gzipped on request", async () => {
    const display = simulator.device("qr-display-1").display!;
    const res = await fetch(url("/api/device/qr-display-1/frame"), { headers: { "accept-encoding": "identity" } });
    expect(res.headers.get("x-width")).toBe("240");
    expect(Number(res.headers.get("x-frame"))).toBe(display.frames);
    const raw = Buffer.from(await res.arrayBuffer());
    expect(raw.length).toBe(240 * 320 * 2);
    expect(raw.readUInt16LE(0)).toBe(display.pixels[0]);
    expect(raw.readUInt16LE(2 * (160 * 240 + 120))).toBe(display.pixels[160 * 240 + 120]);
    const gz = await new Promise<Buffer>((resolve, reject) =>
      request(url("/api/device/qr-display-1/frame"), { headers: { "accept-encoding": "gzip", host: new URL(web.url).host } }, (r) => {
        expect(r.headers["content-encoding"]).toBe("gzip");
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c)).on("end", () => resolve(Buffer.concat(chunks))).on("error", reject);
      }).end(),
    );
    expect(gunzipSync(gz).length).toBe(240 * 320 * 2);
    expect((await fetch(url("/api/device/soundbox-1/frame"))).status).toBe(404);
  });

  it("serves the soundbox's voice clips as WAV", async () => {
    const voice = new VoicePack("en-in");
    expect(voice.size).toBeGreaterThan(0);
    const res = await fetch(url("/api/device/soundbox-1/clip/received.wav"));
    expect(res.headers.get("content-type")).toBe("audio/wav");
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 4).toString()).toBe("RIFF");
    expect((await fetch(url("/api/device/soundbox-1/clip/..%2Fdevices.wav"))).status).toBe(404);
    expect((await fetch(url("/api/device/soundbox-1/clip/nonexistent.wav"))).status).toBe(404);
  });

  it.each([
    ["a body that is not JSON", "/api/pay", "{nope", 400, /not JSON/],
    ["a JSON array", "/api/pay", "[]", 400, /JSON object/],
    ["a missing device", "/api/pay", { amount: "1" }, 400, /"deviceId"/],
    ["an unknown device", "/api/pay", { deviceId: "x", amount: "1" }, 400, /no device "x"/],
    ["a bad amount", "/api/pay", { deviceId: "soundbox-1", amount: "-5" }, 400, /positive decimal/],
    ["an unknown forgery", "/api/forge", { deviceId: "soundbox-1", kind: "x" }, 400, /unknown forgery/],
    ["a button the device lacks", "/api/device/qr-display-1/button", { button: "replay", pressed: true }, 400, /no "replay" button/],
    ["a button edge without pressed", "/api/device/soundbox-1/button", { button: "replay" }, 400, /"pressed"/],
    ["an unknown action", "/api/device/soundbox-1/explode", {}, 404, /no action explode/],
    ["a command name that cannot be one", "/api/command", { deviceId: "soundbox-1", name: "Do It" }, 400, /command names are/],
    ["command arguments that are not NAME=VALUE", "/api/command", { deviceId: "soundbox-1", name: "config", args: ["lateMin"] }, 400, /NAME=VALUE/],
    ["command arguments that are not a list", "/api/command", { deviceId: "soundbox-1", name: "config", args: "x=1" }, 400, /"args" must be a list/],
    ["an NFC tag of no known kind", "/api/device/qr-display-1/nfc-place", { kind: "banana" }, 400, /unknown tag kind "banana"/],
    ["an NFC tag on a device without a reader", "/api/device/soundbox-1/nfc-place", { kind: "phone" }, 400, /soundbox-1 has no NFC reader/],
    ["a charge on a device without a screen", "/api/charge", { deviceId: "soundbox-1", amount: "1.00" }, 400, /soundbox-1 has no screen/],
    ["a charge with codes of no scheme", "/api/charge", { deviceId: "qr-display-1", amount: "1.00", schemes: ["bitcoin"] }, 400, /schemes must be upi, emv or both/],
    ["paying a charge never created", "/api/charge/NOPE/pay", { provider: "UPI" }, 400, /no charge "NOPE" was created here/],
    ["cancelling a charge never created", "/api/charge/NOPE/cancel", {}, 400, /no charge "NOPE"/],
  ])("refuses %s", async (_what, path, body, status, message) => {
    const res = await post(path, body);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it("refuses form posts and foreign Host names, which another site's page could send", async () => {
    const form = await post("/api/pay", "deviceId=soundbox-1&amount=1", { "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    const foreign = await new Promise<number>((resolve, reject) =>
      request(url("/api/state"), { headers: { host: "evil.example:80" } }, (r) => resolve(r.statusCode ?? 0)).on("error", reject).end(),
    );
    expect(foreign).toBe(421);
  });
});
