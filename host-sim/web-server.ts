/**
 * The simulator's web UI server, on loopback only. The page's TypeScript is bundled by esbuild
 * when the server starts. Everything live reaches the page over one server-sent event stream,
 * in batches: events from every source, the frame number of each screen that changed (the page
 * then fetches that framebuffer once, however many frames it missed) and the state after them.
 * Actions are JSON POSTs on SimulatorControl.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { encodeWav } from "./audio/wav";
import { ControlError, type SimulatorControl } from "./control/control";
import type { DeviceEvent } from "./device/event-log";
import { clipsOf, readClipList } from "./audio/voice-source";
import { projectRoot } from "./paths";

const WEB_DIR = join(projectRoot, "host-sim", "web");
const STATIC: Record<string, [file: string, type: string]> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/style.css": ["style.css", "text/css; charset=utf-8"],
};
/** How long events gather before a batch goes out, ms: a burst becomes a few messages, not thousands. */
const BATCH_MS = 40;
/** Events in one batch at most; a burst past it sends the newest and says how many were skipped. */
const BATCH_EVENTS = 400;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage, limit = 4096): Promise<Record<string, unknown>> {
  // A page on another site can post forms to loopback; only a JSON request (which needs a CORS
  // preflight this server never grants) is taken as coming from the simulator's own page.
  if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) throw new HttpError(415, "send the body as application/json");
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new HttpError(413, `request body over ${limit} bytes`);
  }
  let value: unknown;
  try {
    value = body === "" ? {} : JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, `body is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new HttpError(400, "body must be a JSON object");
  return value as Record<string, unknown>;
}

function text(body: Record<string, unknown>, name: string, optional = false): string | undefined {
  const value = body[name];
  if (value === undefined && optional) return undefined;
  if (typeof value !== "string" || value === "") throw new HttpError(400, `"${name}" must be a non-empty string`);
  return value;
}

function bundleApp(): Promise<string> {
  return build({
    entryPoints: [join(WEB_DIR, "app.ts")],
    bundle: true,
    write: false,
    format: "esm",
    target: "es2022",
    sourcemap: "inline",
    logLevel: "silent",
  }).then((result) => result.outputFiles[0].text);
}

/** What each clip of a language says, for the speaker's captions; empty (clip names) when unknown. */
function captions(language: string): Record<string, string> {
  try {
    return Object.fromEntries(clipsOf(readClipList(language)).map((clip) => [clip.name, clip.text]));
  } catch {
    return {};
  }
}

/** One page's event stream: gathers events and frame numbers and sends them every BATCH_MS. */
class EventStream {
  #events: DeviceEvent[] = [];
  #skipped = 0;
  #frames: Record<string, number> = {};
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly res: ServerResponse, private readonly control: SimulatorControl) {}

  send(type: string, body: unknown): void {
    this.res.write(`event: ${type}\ndata: ${JSON.stringify(body)}\n\n`);
  }

  event(event: DeviceEvent): void {
    // Debug events are the firmware's chatter (the NFC reader's state every few hundred ms); the
    // page needs only the speaker's clips among them.
    if (event.level === "debug" && event.name !== "clip") return;
    this.#events.push(event);
    if (this.#events.length > BATCH_EVENTS) {
      this.#events.shift();
      this.#skipped++;
    }
    this.#schedule();
  }

  frame(deviceId: string, frame: number): void {
    this.#frames[deviceId] = frame;
    this.#schedule();
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      // An event logged while another is being delivered (the WAV writer answers "announced") reaches
      // the stream first; time order puts it back in its place.
      this.#events.sort((a, b) => a.at - b.at);
      this.send("batch", { events: this.#events, skipped: this.#skipped, frames: this.#frames, state: this.control.state() });
      this.#events = [];
      this.#skipped = 0;
      this.#frames = {};
    }, BATCH_MS);
  }
}

export interface WebServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startWebServer(control: SimulatorControl, port = 0): Promise<WebServer> {
  const simulator = control.simulator;
  const app = await bundleApp();
  const streams = new Set<EventStream>();
  const stopEvents = control.onEvent((event) => streams.forEach((stream) => stream.event(event)));
  const stopFrames = control.onFrame((deviceId, frame) => streams.forEach((stream) => stream.frame(deviceId, frame)));
  let allowedHosts: Set<string> = new Set();

  const routes = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    const parts = path.split("/").slice(1);
    if (req.method === "GET") {
      if (STATIC[path]) {
        const [file, type] = STATIC[path];
        res.writeHead(200, { "content-type": type, "cache-control": "no-cache" });
        return void res.end(readFileSync(join(WEB_DIR, file)));
      }
      if (path === "/app.js") {
        res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" });
        return void res.end(app);
      }
      if (path === "/api/state") return json(res, 200, control.state());
      if (path === "/api/events") {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
        const stream = new EventStream(res, control);
        stream.send("init", { state: control.state(), events: control.recentEvents(1000).filter((e) => e.level !== "debug").slice(-200) });
        streams.add(stream);
        req.on("close", () => {
          stream.close();
          streams.delete(stream);
        });
        return;
      }
      if (parts[0] === "api" && parts[1] === "device" && parts.length >= 4) {
        const device = control.device(decodeURIComponent(parts[2]));
        const what = parts.slice(3).join("/");
        if (what === "frame" || what === "screen.png") {
          const display = device.display;
          if (!display) throw new HttpError(404, `${device.options.deviceId} has no screen`);
          if (what === "screen.png") {
            res.writeHead(200, { "content-type": "image/png", "cache-control": "no-store" });
            return void res.end(display.toPng());
          }
          // The framebuffer as the firmware drew it: RGB565, row by row, little-endian.
          const pixels = Buffer.alloc(display.pixels.length * 2);
          for (let i = 0; i < display.pixels.length; i++) pixels.writeUInt16LE(display.pixels[i], i * 2);
          const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
          res.writeHead(200, {
            "content-type": "application/octet-stream",
            "cache-control": "no-store",
            "x-frame": String(display.frames),
            "x-width": String(display.width),
            "x-height": String(display.height),
            ...(gzip && { "content-encoding": "gzip" }),
          });
          return void res.end(gzip ? gzipSync(pixels, { level: 1 }) : pixels);
        }
        if (what === "captions") return json(res, 200, captions(device.options.language));
        const clip = /^clip\/([A-Za-z0-9_.-]{1,64})\.wav$/.exec(what);
        if (clip) {
          // ?voice= names the pack the clip played from, as the clip event said: built-in unless given.
          const label = url.searchParams.get("voice") ?? "built-in";
          const voice = device.voiceFor(label);
          if (!voice?.has(clip[1])) throw new HttpError(404, `${device.options.deviceId} has no clip ${clip[1]} in the voice ${JSON.stringify(label)}`);
          res.writeHead(200, { "content-type": "audio/wav", "cache-control": "max-age=3600" });
          return void res.end(encodeWav(voice.clip(clip[1])));
        }
        const announcement = /^announcement\/([A-Za-z0-9._:-]{1,64})\.wav$/.exec(what);
        if (announcement) {
          const file = join(simulator.options.stateDir, "announcements", device.options.deviceId, `${announcement[1]}.wav`);
          if (!existsSync(file)) throw new HttpError(404, `no announcement ${announcement[1]} on ${device.options.deviceId}`);
          res.writeHead(200, { "content-type": "audio/wav", "cache-control": "no-store" });
          return void res.end(readFileSync(file));
        }
      }
      throw new HttpError(404, `nothing at ${path}`);
    }
    if (req.method !== "POST") throw new HttpError(405, `${req.method} is not used here`);
    const body = await readJson(req);
    if (path === "/api/pay") {
      const fields = await control.pay({
        deviceId: text(body, "deviceId") as string,
        amount: text(body, "amount") as string,
        currency: text(body, "currency", true),
        provider: text(body, "provider", true),
      });
      return json(res, 202, { transactionId: fields.transactionId });
    }
    if (path === "/api/charge") {
      const schemes = body.schemes === undefined ? undefined : Array.isArray(body.schemes) ? (body.schemes as ("upi" | "emv")[]) : undefined;
      if (body.schemes !== undefined && !schemes) throw new HttpError(400, '"schemes" must be a list of "upi" and "emv"');
      const seconds = body.expiresInSeconds;
      if (seconds !== undefined && typeof seconds !== "number") throw new HttpError(400, '"expiresInSeconds" must be a number');
      const charge = await control.createCharge({
        deviceId: text(body, "deviceId") as string,
        amount: text(body, "amount") as string,
        currency: text(body, "currency", true),
        expiresInMs: seconds === undefined ? undefined : Math.round(seconds * 1000),
        schemes,
      });
      return json(res, 201, charge);
    }
    const chargeAction = /^\/api\/charge\/([A-Za-z0-9._-]{1,25})\/(pay|cancel)$/.exec(path);
    if (chargeAction) {
      const [, reference, action] = chargeAction;
      if (action === "cancel") {
        await control.cancelCharge(reference);
        return json(res, 200, { ok: true });
      }
      return json(res, 202, await control.payCharge(reference, text(body, "provider") as string, text(body, "amount", true)));
    }
    if (path === "/api/command") {
      const args = body.args === undefined ? [] : body.args;
      if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) throw new HttpError(400, '"args" must be a list of NAME=VALUE strings');
      return json(res, 200, await control.command(text(body, "deviceId") as string, text(body, "name") as string, args as string[]));
    }
    if (path === "/api/forge") return json(res, 202, await control.forge(text(body, "deviceId") as string, text(body, "kind") as string));
    if (path === "/api/replay") return json(res, 202, { transactionId: await control.replay(text(body, "deviceId") as string, text(body, "transactionId", true)) });
    if (path === "/api/broker/down" || path === "/api/broker/up") {
      await (path.endsWith("down") ? control.brokerDown() : control.brokerUp());
      return json(res, 200, { ok: true });
    }
    if (parts[0] === "api" && parts[1] === "device" && parts.length === 4) {
      const id = decodeURIComponent(parts[2]);
      switch (parts[3]) {
        case "power-off": control.powerOff(id); break;
        case "power-on": control.powerOn(id); break;
        case "power-cycle": await control.powerCycle(id); break;
        case "cut-link": control.cutLink(id); break;
        case "link-down": control.linkDown(id); break;
        case "link-up": control.linkUp(id); break;
        case "button":
          if (typeof body.pressed !== "boolean") throw new HttpError(400, '"pressed" must be true or false');
          control.button(id, text(body, "button") as string, body.pressed);
          break;
        case "nfc-place":
          return json(res, 200, { holding: control.placeTag(id, text(body, "kind") as string) });
        case "nfc-remove":
          control.removeTag(id);
          break;
        case "battery":
          control.battery(id, { percent: body.percent as number | undefined, charging: body.charging as boolean | undefined });
          break;
        default:
          throw new HttpError(404, `no action ${parts[3]}`);
      }
      return json(res, 200, { ok: true });
    }
    throw new HttpError(404, `nothing at ${path}`);
  };

  const server = createServer((req, res) => {
    // Only this machine's names for this server: a DNS-rebinding page cannot reach it by another.
    if (!allowedHosts.has(String(req.headers.host))) return json(res, 421, { error: `unexpected Host ${String(req.headers.host)}` });
    const url = new URL(req.url ?? "/", "http://localhost");
    routes(req, res, url).catch((error: Error) => {
      const status = error instanceof HttpError ? error.status : error instanceof ControlError ? 400 : 500;
      if (res.headersSent) res.end();
      else json(res, status, { error: error.message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  allowedHosts = new Set([`127.0.0.1:${address.port}`, `localhost:${address.port}`]);
  return {
    url: `http://127.0.0.1:${address.port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        stopEvents();
        stopFrames();
        for (const stream of streams) stream.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
