/**
 * npm run bench:qr [-- --count N]
 *
 * Charge request -> frame ready, for the QR display:
 *   device: the firmware's ChargeDesk.receive on the host HAL (HMAC check, CBOR, payload build,
 *           QR encoding with the host encoder, layout, text, drawing into the 240x320 or 320x240
 *           framebuffer), from the sealed envelope to the frame's end(), in-process;
 *   aedes : the same through the embedded broker: ChargeService.create's publish -> the frame,
 *           the charge's codes built and drawn by the real firmware on the simulated device;
 *   qrcode: the npm `qrcode` package encoding the same payloads on Node (QRCode.create), the
 *           floor that any encoder-backed frame sits on.
 * XS: computrons for the payload and layout steps from test/xs/checks/qr-payload.check.ts run on
 * the real XS engine (deterministic; the device's QR encoder and HMAC are native, their
 * JavaScript stand-ins are metered apart). Prints a table and one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import QRCode from "qrcode";
import { ManualClock, ManualTimers } from "../../hal/memory/clock";
import { MemoryKv } from "../../hal/memory/kv";
import { RecordingLog } from "../../hal/memory/peripherals";
import { Keyring } from "../../firmware/payments/keyring";
import { ChargeDesk } from "../../firmware/qr-display/charge-desk";
import { QrDisplay } from "../../firmware/qr-display/qr-display";
import { runCheckOnXs, xsVersion } from "../../test/xs/harness";
import { FramebufferDisplay } from "../hal/framebuffer-display";
import { nodeCrypto } from "../hal/node-crypto";
import { hostQrEncoder } from "../hal/qr-encoder";
import { chargesFor, demoEmvFields, encodeChargeBody, type ChargeSpec } from "../service/charges";
import { sealEnvelope } from "../service/confirmation";
import { Simulator } from "../simulator";

const WARMUP = 20;
const MERCHANT = { vpa: "chai.corner@okicici", name: "Chai Corner" };
const KEY = { keyId: "k1", key: new Uint8Array(32).fill(42) };
const SCREENS = [
  { name: "240x320", width: 240, height: 320 },
  { name: "320x240", width: 320, height: 240 },
];
const CODES: { name: string; spec: Pick<ChargeSpec, "upi" | "emv"> }[] = [
  { name: "UPI link", spec: { upi: {} } },
  { name: "UPI + EMVCo", spec: { upi: {}, emv: demoEmvFields(MERCHANT) } },
];

interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
}

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return { n: sorted.length, p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)) };
}

/** The firmware's desk and screen on the host HAL, fed sealed envelopes directly. */
function deviceSide(screen: { width: number; height: number }, codes: Pick<ChargeSpec, "upi" | "emv">, count: number): { samples: number[]; payloads: string[] } {
  const clock = new ManualClock(Date.now());
  const timers = new ManualTimers(clock);
  const log = new RecordingLog();
  const kv = new MemoryKv();
  new Keyring(kv).put(KEY.keyId, KEY.key);
  const display = new FramebufferDisplay(screen.width, screen.height);
  const qr = new QrDisplay({ display, qr: hostQrEncoder, timers, clock, log, staticPayload: "upi://pay?pa=chai.corner@okicici&pn=Chai%20Corner&cu=INR" });
  qr.setStatus({ online: true });
  qr.showIdle();
  let payloads: string[] = [];
  const desk = new ChargeDesk({ deviceId: "qr-bench", clock, timers, crypto: nodeCrypto, keyring: new Keyring(kv), log, screen: qr, merchant: MERCHANT, publishAck: () => {} });
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + count; i++) {
    const now = clock.now();
    const body = encodeChargeBody({ deviceId: "qr-bench", amountMinor: 10_000 + i, currency: "INR", reference: `B-${i}`, ...codes }, now, now + 300_000);
    const envelope = sealEnvelope(body, KEY, "charge");
    const frames = display.frames;
    const start = performance.now();
    const ack = desk.receive(envelope);
    const elapsed = performance.now() - start;
    if (ack.status !== "shown" || display.frames !== frames + 1) throw new Error(`charge ${i}: ${ack.status} ${ack.message ?? ""}`);
    payloads = Object.values(ack.codes ?? {}) as string[];
    if (i >= WARMUP) samples.push(elapsed);
  }
  desk.stop();
  qr.stop();
  return { samples, payloads };
}

/** npm qrcode on the same payloads. */
function qrcodeFloor(payloads: string[], count: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + count; i++) {
    const start = performance.now();
    for (const payload of payloads) QRCode.create(payload, { errorCorrectionLevel: "M" });
    if (i >= WARMUP) samples.push(performance.now() - start);
  }
  return samples;
}

/** Over the embedded broker: publish -> the simulated device's frame. */
async function overAedes(count: number): Promise<Record<string, Percentiles>> {
  const stateDir = mkdtempSync(join(tmpdir(), "payterm-bench-qr-"));
  const simulator = await Simulator.start({ stateDir, devices: SCREENS.map((s) => ({ deviceId: `qr-${s.name}`, product: "qr-display" as const, screen: s })), merchant: MERCHANT });
  try {
    await Promise.all([...simulator.devices.values()].map((d) => d.log.waitFor((e) => e.name === "connected")));
    const charges = await chargesFor(simulator.service, (id) => simulator.registry.keyFor(id));
    const results: Record<string, Percentiles> = {};
    for (const screen of SCREENS) {
      const device = simulator.device(`qr-${screen.name}`);
      const display = device.display as FramebufferDisplay;
      for (const codes of CODES) {
        const samples: number[] = [];
        for (let i = 0; i < WARMUP + count; i++) {
          let start = 0;
          const framed = new Promise<number>((resolve) => {
            display.onFrame = () => resolve(performance.now());
          });
          start = performance.now();
          const created = charges.create({ deviceId: device.options.deviceId, amountMinor: 10_000 + i, currency: "INR", ...codes.spec });
          const end = await framed;
          await created;
          if (i >= WARMUP) samples.push(end - start);
        }
        display.onFrame = undefined;
        results[`${screen.name} ${codes.name}`] = percentiles(samples);
      }
    }
    return results;
  } finally {
    await simulator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: "string", default: "200" } } });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 10) throw new Error("--count must be a whole number, at least 10");
  const rows: string[][] = [["path", "screen", "codes", "p50 ms", "p95 ms", "p99 ms"]];
  const json: Record<string, unknown> = { bench: "qr", count, warmup: WARMUP, node: process.version };
  const device: Record<string, Percentiles> = {};
  const floor: Record<string, Percentiles> = {};
  for (const screen of SCREENS) {
    for (const codes of CODES) {
      const { samples, payloads } = deviceSide(screen, codes.spec, count);
      const p = percentiles(samples);
      device[`${screen.name} ${codes.name}`] = p;
      rows.push(["device (in-process)", screen.name, codes.name, String(p.p50), String(p.p95), String(p.p99)]);
      if (screen === SCREENS[0]) {
        const q = percentiles(qrcodeFloor(payloads, count));
        floor[codes.name] = q;
        rows.push(["npm qrcode, same payloads", "-", codes.name, String(q.p50), String(q.p95), String(q.p99)]);
      }
    }
  }
  const aedes = await overAedes(Math.min(count, 100));
  for (const [key, p] of Object.entries(aedes)) {
    const [screen, ...codes] = key.split(" ");
    rows.push(["aedes publish -> frame", screen, codes.join(" "), String(p.p50), String(p.p95), String(p.p99)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  console.log("charge request -> frame ready (ms)");
  for (const row of rows) console.log(row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));

  const xs = await runCheckOnXs("test/xs/checks/qr-payload.check.ts", { timeoutMs: 300_000 });
  if (!xs.passed) throw new Error(`the XS check failed:\n${xs.problems.join("\n")}`);
  const meters = Object.fromEntries(xs.meters);
  const version = xsVersion();
  console.log(`\nXS computrons (${version}, deterministic)`);
  const explain: Record<string, string> = {
    "emvco-build": "EMVCo payload built and checked by its own parser",
    "emvco-parse": "EMVCo payload parsed, every rule",
    "upi-build": "UPI link built and checked",
    offers: "both codes of a charge from the request",
    layout: "screen layout (QR placement, text fitting)",
    "text-masks": "text lines of the charge screen as 1-bit masks",
    "frame-js": "one frame into a JavaScript framebuffer (Poco draws natively on the device)",
    "qr-encode-js": "JavaScript QR encoder, both codes (native on the device)",
    "hmac-js": "JavaScript HMAC-SHA256 (native on the device)",
    charge: "a whole charge request, envelope to frame, JavaScript stand-ins included",
    "charge-device-js": "the same with HMAC, QR encoding and drawing answered at once: the device's JavaScript",
  };
  for (const [name, value] of Object.entries(meters)) console.log(`  ${name.padEnd(16)} ${String(value).padStart(11)}  ${explain[name] ?? ""}`);
  console.log(JSON.stringify({ ...json, deviceMs: device, qrcodeMs: floor, aedesMs: aedes, xs: { version, computrons: meters } }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
