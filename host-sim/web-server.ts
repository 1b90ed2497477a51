/**
 * The simulator's web UI server: static page, JSON state, server-sent events of every device
 * event, announcement WAVs, and a payment form. Listens on loopback only.
 */
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { currencyInfo, parseAmount } from "../firmware/money";
import { projectRoot } from "./paths";
import type { Simulator } from "./simulator";

const WEB_DIR = join(projectRoot, "host-sim", "web");
const STATIC: Record<string, string> = { "/": "index.html", "/app.js": "app.js", "/style.css": "style.css" };
const TYPES: Record<string, string> = { html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8" };

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage, limit = 4096): Promise<unknown> {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new Error(`request body over ${limit} bytes`);
  }
  return JSON.parse(body);
}

function deviceState(simulator: Simulator) {
  return [...simulator.devices.values()].map((device) => ({
    deviceId: device.options.deviceId,
    product: device.options.product,
    screen: device.display ? `/api/device/${device.options.deviceId}/screen.png` : undefined,
    running: device.running,
    session: device.running ? device.firmware.session.state : "off",
    counters: device.running ? device.firmware.pipeline.counters : undefined,
  }));
}

export async function startWebServer(simulator: Simulator, port = 0): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      if (req.method === "GET" && STATIC[url.pathname]) {
        const file = STATIC[url.pathname];
        res.writeHead(200, { "content-type": TYPES[file.split(".").pop() as string] });
        res.end(readFileSync(join(WEB_DIR, file)));
      } else if (req.method === "GET" && url.pathname === "/api/state") {
        json(res, 200, { broker: simulator.brokerUrl, devices: deviceState(simulator) });
      } else if (req.method === "GET" && url.pathname === "/api/events") {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
        const stops = [...simulator.devices.values()].map((device) => {
          for (const event of device.log.events.slice(-50)) res.write(`data: ${JSON.stringify(event)}\n\n`);
          return device.log.listen((event) => res.write(`data: ${JSON.stringify(event)}\n\n`));
        });
        req.on("close", () => stops.forEach((stop) => stop()));
      } else if (req.method === "GET" && /^\/api\/device\/[^/]+\/screen\.png$/.test(url.pathname)) {
        const display = simulator.devices.get(url.pathname.split("/")[3])?.display;
        if (!display) return json(res, 404, { error: "that device has no screen" });
        res.writeHead(200, { "content-type": "image/png", "cache-control": "no-store" });
        res.end(display.toPng());
      } else if (req.method === "GET" && url.pathname.startsWith("/wav/")) {
        const [, , deviceId, file] = url.pathname.split("/");
        const path = join(simulator.options.stateDir, "announcements", deviceId ?? "", file ?? "");
        if (!simulator.devices.has(deviceId ?? "") || !/^[A-Za-z0-9._:-]+\.wav$/.test(file ?? "") || !existsSync(path)) return json(res, 404, { error: "no such announcement" });
        res.writeHead(200, { "content-type": "audio/wav" });
        createReadStream(path).pipe(res);
      } else if (req.method === "POST" && url.pathname === "/api/pay") {
        const body = (await readJson(req)) as { deviceId?: string; amount?: string; currency?: string; provider?: string };
        const currency = currencyInfo(String(body.currency ?? ""));
        if (!currency) return json(res, 400, { error: `unsupported currency ${String(body.currency)}` });
        const amountMinor = parseAmount(String(body.amount ?? ""), currency.exponent);
        if (amountMinor === undefined) return json(res, 400, { error: `amount must be a plain decimal with at most ${currency.exponent} decimals` });
        if (!simulator.devices.has(String(body.deviceId))) return json(res, 400, { error: `no device ${String(body.deviceId)}` });
        const fields = await simulator.service.publish({ deviceId: String(body.deviceId), amountMinor, currency: currency.code, provider: String(body.provider ?? "UPI") });
        json(res, 202, { transactionId: fields.transactionId });
      } else if (req.method === "POST" && url.pathname.startsWith("/api/device/")) {
        const [, , , deviceId, action] = url.pathname.split("/");
        const device = simulator.devices.get(deviceId ?? "");
        if (!device) return json(res, 404, { error: `no device ${deviceId}` });
        if (action === "power-off") device.powerOff();
        else if (action === "power-on") device.start();
        else if (action === "cut-link") device.cutLink();
        else return json(res, 404, { error: `unknown action ${action}` });
        json(res, 200, { ok: true });
      } else {
        json(res, 404, { error: "not found" });
      }
    } catch (error) {
      json(res, 400, { error: (error as Error).message });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
