/**
 * Runs the firmware on the Moddable SDK's own runtime: the soundbox and the QR display built for
 * its Linux simulator (mcsim, headless under Xvfb) boot from NVS images `payterm provision` made,
 * against a private mosquitto configured from the same batch (passwords, ACL), and this checks,
 * from their logs and acks, that:
 *   - each boots as its provisioned device and connects with its own credentials: a password, or
 *     with --tls its client certificate over TLS (which fails with SDK 8.2.3: README);
 *   - the soundbox receives, verifies, journals, announces and acks a signed payment, and refuses
 *     one signed with another key;
 *   - the QR display shows a charge and the success screen when it is paid;
 *   - neither runs out of the heap and stack a board has (the simulator builds get the boards'
 *     fixed sizes from manifest.json); it prints how deep the XS stack went.
 * By hand, from scripts/check-moddable.sh --run; never part of `npm test`.
 *
 *   MODDABLE=... tsx scripts/moddable-sim-run.ts --soundbox MC.SO --qr-display MC.SO --out DIR
 *
 * The simulator's `preference` module (modules/files/preference/lin in the SDK) keeps every
 * domain in one JSON file, /tmp/modpreferences.json (mc/config file.root on lin), with an
 * ArrayBuffer as {"buffer": "b0,b1,..."}: each device's image is written there before it boots,
 * and a file that was there before is put back at the end.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freePort, waitForPort } from "../host-sim/net";
import { readBackendImport } from "../host-sim/provision/backend";
import { kvValueOf } from "../host-sim/provision/nvs/kv-image";
import { readNvs } from "../host-sim/provision/nvs/reader";
import { provision } from "../host-sim/provision/provision";
import { silentProgress } from "../host-sim/provision/progress";
import { Registry } from "../host-sim/registry";
import { createChargeOnDevice, payCharge } from "../host-sim/service/charges";
import { signConfirmation } from "../host-sim/service/confirmation";
import { PaymentService } from "../host-sim/service/payment-service";

const PREFERENCES = "/tmp/modpreferences.json";
const PARTITIONS = resolve(import.meta.dirname, "..", "hal", "moddable", "partitions.csv");
const SOUNDBOX = "pt-sb-simcheck01";
const QR_DISPLAY = "pt-qr-simcheck01";
const MERCHANTS = `merchant_id,name,product,vpa,device_id
SIM-1,Chai Corner,soundbox,chai.corner@okicici,${SOUNDBOX}
SIM-1,Chai Corner,qr-display,chai.corner@okicici,${QR_DISPLAY}
`;
/** Bytes per XS slot on a 64-bit host (16 on the ESP32): the simulator reports bytes. */
const SLOT_BYTES = 32;

const results: { ok: boolean; what: string }[] = [];

function check(ok: boolean, what: string): boolean {
  results.push({ ok, what });
  console.log(`  ${ok ? "pass" : "FAIL"}  ${what}`);
  return ok;
}

/** The simulator's preference file for an NVS image, with the types `preference` gives back. */
function linPreferences(image: Uint8Array): string {
  const domains: Record<string, Record<string, unknown>> = {};
  for (const [domain, entries] of readNvs(image).namespaces) {
    const values: Record<string, unknown> = {};
    for (const [key, value] of entries) {
      const converted = kvValueOf(value, `${domain}/${key}`);
      values[key] = converted instanceof ArrayBuffer ? { buffer: new Uint8Array(converted).toString() } : converted;
    }
    domains[domain] = values;
  }
  return JSON.stringify(domains);
}

/** One mcsim on its own Xvfb display; both are children of this process, stopped and reaped by it. */
class Simulator {
  readonly #display: ChildProcess;
  #simulator: ChildProcess | undefined;

  private constructor(readonly log: string) {
    // -displayfd: Xvfb picks a free display and writes its number once it accepts clients.
    this.#display = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp"], { stdio: ["ignore", "ignore", "ignore", "pipe"] });
  }

  static async start(log: string, mcsim: string, library: string): Promise<Simulator> {
    const simulator = new Simulator(log);
    const display = await new Promise<string>((resolve, reject) => {
      let text = "";
      simulator.#display.stdio[3]?.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes("\n")) resolve(text.trim());
      });
      simulator.#display.once("exit", () => reject(new Error("Xvfb exited before it gave a display")));
    });
    const fd = openSync(log, "w");
    // stdbuf: the runtime prints trace() with printf, which a file would otherwise buffer.
    simulator.#simulator = spawn("stdbuf", ["-oL", "-eL", mcsim, library], { stdio: ["ignore", fd, fd], env: { ...process.env, DISPLAY: `:${display}` } });
    closeSync(fd);
    return simulator;
  }

  text(): string {
    return readFileSync(this.log, "utf8");
  }

  /** Resolves with the first log line matching `pattern`, or undefined after `timeoutMs` or once mcsim exits. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.text().split("\n").find((candidate) => pattern.test(candidate));
      const exited = this.#simulator === undefined || this.#simulator.exitCode !== null || this.#simulator.signalCode !== null;
      if (line !== undefined || exited || Date.now() > deadline) return line;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    for (const child of [this.#simulator, this.#display]) {
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      await new Promise<void>((done) => {
        child.once("exit", () => done());
        child.kill("SIGTERM");
      });
    }
  }
}

/**
 * The deepest the XS stack went, of the stack the build gives it: the simulator prints its
 * figures once a second ("instruments:" lines). Its heap figures count garbage not yet
 * collected, so the heaps are judged by the absence of an abort instead.
 */
function stackReport(log: string): string {
  const keys = /^instruments key: (.*)$/m.exec(log)?.[1].split(",");
  if (!keys) return "no instrumentation in the log";
  const samples = [...log.matchAll(/^instruments: (.*)$/gm)].map((match) => match[1].split(",").map(Number));
  const peak = (name: string) => Math.max(...samples.map((values) => values[keys.indexOf(name)]));
  return `XS stack: deepest ${Math.round(peak("Stack used") / SLOT_BYTES)} of ${Math.round(peak("Stack available") / SLOT_BYTES)} slots`;
}

/** After a run: the runtime never aborted (memory full, stack overflow, an unhandled exception). */
function checkNoAbort(name: string, simulator: Simulator): void {
  const abort = simulator.text().split("\n").find((line) => /XS abort|stack overflow|failed in fixed size heap/.test(line));
  check(abort === undefined, `${name}: no XS abort with the board's fixed heap and stack${abort ? ` (${abort.trim()})` : ""}`);
  console.log(`  ${name}: ${stackReport(simulator.text())}`);
}

/** Starts a device from its NVS image; undefined, after stopping it, when it never got online. */
async function boot(name: string, deviceId: string, product: string, library: string, ctx: Context): Promise<Simulator | undefined> {
  writeFileSync(PREFERENCES, linPreferences(new Uint8Array(readFileSync(join(ctx.batch, "devices", deviceId, "nvs.bin")))));
  const simulator = await Simulator.start(join(ctx.out, `${name}.log`), ctx.mcsim, library);
  const started = await simulator.waitFor(/ info started /, 30_000);
  check(started !== undefined && started.includes(`product="${product}"`) && started.includes(`device="${deviceId}"`), `${name}: boots as ${deviceId} (${started?.trim() ?? "no start in the log"})`);
  const online = check((await simulator.waitFor(/ info subscribed/, 20_000)) !== undefined, `${name}: connects to the private mosquitto with its provisioned credentials and subscribes`);
  if (online) return simulator;
  await simulator.stop();
  checkNoAbort(name, simulator);
  return undefined;
}

interface Context {
  out: string;
  batch: string;
  mcsim: string;
  service: PaymentService;
  registry: Registry;
}

async function soundbox(library: string, ctx: Context): Promise<void> {
  const simulator = await boot("soundbox", SOUNDBOX, "soundbox", library, ctx);
  if (!simulator) return;
  try {
    const fields = await ctx.service.publish({ deviceId: SOUNDBOX, amountMinor: 25050, currency: "INR", provider: "UPI" });
    const ack = await ctx.service.waitForAck(fields.transactionId, 15_000).catch((error: Error) => error);
    check(!(ack instanceof Error) && ack.status === "announced", `soundbox: acks payment ${fields.transactionId} as announced (${ack instanceof Error ? ack.message : JSON.stringify(ack)})`);
    for (const stage of ["verified", "journaled", "announced"])
      check((await simulator.waitFor(new RegExp(` info ${stage} txn="${fields.transactionId}"`), 5000)) !== undefined, `soundbox: logs ${stage} for it`);
    const spoken = await simulator.waitFor(new RegExp(` info spoken kind="payment" txn="${fields.transactionId}"`), 10_000);
    check(spoken !== undefined, `soundbox: plays the announcement (${spoken?.replace(/.*clips=/, "clips=").trim() ?? "none"})`);

    // Signed with another key under the device's key id: the device must refuse it and keep running.
    const now = Date.now();
    const forged = { transactionId: `TFORGED${now.toString(36).toUpperCase()}`, deviceId: SOUNDBOX, amountMinor: 9900, currency: "INR", provider: "UPI", confirmedAt: now, expiresAt: now + 60_000 };
    await ctx.service.publishRaw(SOUNDBOX, signConfirmation(forged, { keyId: "k1", key: randomBytes(32) }));
    const refused = await simulator.waitFor(/ warn rejected reason="bad_tag"/, 10_000);
    check(refused !== undefined, `soundbox: refuses forged ${forged.transactionId} (${refused?.replace(/^\d+ /, "").trim() ?? "no rejection logged"})`);
    const again = await ctx.service.publish({ deviceId: SOUNDBOX, amountMinor: 700, currency: "INR", provider: "PhonePe" });
    const second = await ctx.service.waitForAck(again.transactionId, 15_000).catch((error: Error) => error);
    check(!(second instanceof Error) && second.status === "announced", "soundbox: still pays after the forgery");
  } finally {
    await simulator.stop();
    checkNoAbort("soundbox", simulator);
  }
}

async function qrDisplay(library: string, ctx: Context): Promise<void> {
  const simulator = await boot("qr-display", QR_DISPLAY, "qr-display", library, ctx);
  if (!simulator) return;
  try {
    check((await simulator.waitFor(/ info screen screen="idle"/, 5000)) !== undefined, "qr-display: draws its idle screen (the merchant's static QR)");
    const charge = await createChargeOnDevice(
      { service: ctx.service, registry: ctx.registry },
      { deviceId: QR_DISPLAY, amountMinor: 25050, currency: "INR", upi: { pa: "chai.corner@okicici", pn: "Chai Corner" } },
    ).catch((error: Error) => error);
    check(!(charge instanceof Error), `qr-display: shows a charge (${charge instanceof Error ? charge.message : charge.codes.upi})`);
    if (charge instanceof Error) return;
    check((await simulator.waitFor(new RegExp(` info screen screen="charge" ref="${charge.reference}"`), 5000)) !== undefined, "qr-display: logs the charge screen");
    const fields = await payCharge(ctx.service, charge, "UPI");
    const ack = await ctx.service.waitForAck(fields.transactionId, 15_000).catch((error: Error) => error);
    check(!(ack instanceof Error) && ack.status === "announced", `qr-display: acks the charge's payment as announced`);
    check((await simulator.waitFor(new RegExp(` info screen screen="success" txn="${fields.transactionId}"`), 5000)) !== undefined, "qr-display: shows the success screen");
  } finally {
    await simulator.stop();
    checkNoAbort("qr-display", simulator);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { soundbox: { type: "string" }, "qr-display": { type: "string" }, out: { type: "string" }, tls: { type: "boolean", default: false } },
  });
  const moddable = process.env.MODDABLE;
  if (!values.soundbox || !values["qr-display"] || !values.out || !moddable) {
    console.error("usage: MODDABLE=SDK tsx scripts/moddable-sim-run.ts --soundbox MC.SO --qr-display MC.SO --out DIR [--tls]");
    return 2;
  }
  const out = resolve(values.out);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const port = await freePort();
  const batch = join(out, "batch");
  await provision({
    out: batch,
    merchants: { source: "merchants.csv", text: MERCHANTS },
    brokerUrl: `${values.tls ? "mqtts" : "mqtt"}://127.0.0.1:${port}`,
    ...(values.tls && { auth: "tls" as const, serverNames: ["127.0.0.1"] }),
    rotate: false,
    partitionTable: { text: readFileSync(PARTITIONS, "utf8"), source: PARTITIONS },
    chip: "esp32",
    baud: 921600,
    keepalive: 60,
    certificateDays: 365,
    now: new Date(),
    progress: silentProgress,
  });
  const registry = new Registry(join(out, "state"));
  registry.importDevices(readBackendImport(readFileSync(join(batch, "backend", "devices.json"), "utf8"), "devices.json"));
  const account = JSON.parse(readFileSync(join(batch, "broker", "service.json"), "utf8")) as { url: string; username: string; password?: string };
  const brokerFile = (name: string) => readFileSync(join(batch, "broker", name));

  // Started as root, mosquitto would drop to its own user, which cannot read the 0700 batch.
  const config = join(out, "mosquitto.conf");
  writeFileSync(config, [`user ${userInfo().username}`, `listener ${port} 127.0.0.1`, "persistence false", readFileSync(join(batch, "broker", "mosquitto.conf"), "utf8")].join("\n"));
  const broker = spawn("mosquitto", ["-c", config], { stdio: ["ignore", "ignore", openSync(join(out, "mosquitto.log"), "w")] });
  const saved = existsSync(PREFERENCES) ? `${PREFERENCES}.payterm-${process.pid}` : undefined;
  if (saved) renameSync(PREFERENCES, saved);
  try {
    await waitForPort(port, 5000, "mosquitto");
    const service = await PaymentService.connect(account.url, (id) => registry.keyFor(id), {
      clientId: "payterm-simcheck",
      clean: true,
      username: account.username,
      ...(values.tls ? { tls: { ca: brokerFile("ca.crt"), cert: brokerFile("service.crt"), key: brokerFile("service.key") } } : { password: account.password }),
    });
    const ctx: Context = { out, batch, mcsim: join(moddable, "build", "bin", "lin", "release", "mcsim"), service, registry };
    try {
      await soundbox(resolve(values.soundbox), ctx);
      await qrDisplay(resolve(values["qr-display"]), ctx);
    } finally {
      await service.close();
    }
  } finally {
    broker.kill();
    rmSync(PREFERENCES, { force: true });
    if (saved) renameSync(saved, PREFERENCES);
  }
  const failed = results.filter((result) => !result.ok).length;
  console.log(`  ${results.length - failed} of ${results.length} checks passed; logs in ${out}`);
  return failed === 0 && results.length > 0 ? 0 : 1;
}

process.exitCode = await main();
