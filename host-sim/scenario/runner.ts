/**
 * Runs a scenario against a fresh simulator (its own state directory, the embedded broker unless
 * one is given): actions change the world, expectations wait (up to their `within`) until what
 * the simulator shows matches. The first expectation that does not hold ends the run, with the
 * step, its line and what was seen instead.
 *
 * Payments, bursts, forged messages and replays are handed to the payment service and not waited
 * for, as a real service does not wait for a broker that is down: a later expectation says what
 * must come of them. A send that fails outright fails the step that made it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulatorControl } from "../control/control";
import type { DeviceEvent } from "../device/event-log";
import { Simulator } from "../simulator";
import { describeMatcher, matches, pick, type Resolve } from "./match";
import type { Action, Expectation, Scenario, Step } from "./model";

export interface RunOptions {
  /** An external broker; the embedded one otherwise (broker steps need the embedded one). */
  brokerUrl?: string;
  /** Each step's outcome as it happens. */
  onStep?: (result: StepResult) => void;
}

export interface StepResult {
  /** 1-based, as people count steps. */
  number: number;
  step: Step;
  ok: boolean;
  ms: number;
  /** Why it failed, and what was seen instead. */
  problem?: string;
}

export interface ScenarioResult {
  scenario: Scenario;
  passed: boolean;
  steps: StepResult[];
  /** The failing step (undefined while everything held), or the start of the simulator. */
  failure?: { number: number | undefined; line: number | undefined; problem: string; recent: string[] };
  ms: number;
}

interface Binding {
  /** What `$name` stands for: a transaction id, or several for a burst. */
  value: string | string[];
  fields: Record<string, string>;
}

class StepFailure extends Error {}

const POLL_MS = 20;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function eventLine(e: DeviceEvent): string {
  const fields = Object.entries(e.fields)
    .filter(([name]) => name !== "clips" && name !== "file")
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(" ");
  return `${new Date(e.at).toISOString().slice(11, 23)} ${e.device} ${e.name} ${fields}`;
}

class Run {
  readonly history: DeviceEvent[] = [];
  readonly bindings = new Map<string, Binding>();
  readonly marks = new Map<string, number>();
  readonly lastPaid = new Map<string, string>();
  readonly startedAt = Date.now();
  lastActionAt = Date.now();
  /** Sends still on their way, with the step that made them. */
  readonly pending: Promise<void>[] = [];
  /** The first send that failed: [step number, problem]. */
  failedSend: [number, string] | undefined;
  #sequence = 0;

  constructor(readonly control: SimulatorControl, readonly scenario: Scenario) {
    for (const log of control.logs) this.history.push(...log.events);
    this.history.sort((a, b) => a.at - b.at);
    control.onEvent((event) => this.history.push(event));
  }

  transactionId(): string {
    return `S${this.startedAt.toString(36).toUpperCase()}-${(++this.#sequence).toString().padStart(4, "0")}`;
  }

  resolve: Resolve = (text) => {
    if (!text.startsWith("$")) return text;
    const [name, field] = text.slice(1).split(".");
    const binding = this.bindings.get(name);
    if (!binding) throw new StepFailure(`$${name} is not bound (its step did not run)`);
    if (field === undefined) return binding.value;
    const value = binding.fields[field];
    if (value === undefined) throw new StepFailure(`$${name} has no field ${field}; it has ${Object.keys(binding.fields).join(", ")}`);
    return value;
  };

  /** Hands a send to the background; its failure fails step `number` at the next check. */
  send(number: number, sending: Promise<unknown>): void {
    this.pending.push(
      sending.then(
        () => undefined,
        (error: Error) => {
          this.failedSend ??= [number, error.message];
        },
      ),
    );
  }

  async act(number: number, action: Action): Promise<void> {
    const c = this.control;
    if (action.kind !== "wait" && action.kind !== "mark" && action.kind !== "note") this.lastActionAt = Date.now();
    switch (action.kind) {
      case "pay": {
        const transactionId = this.transactionId();
        this.send(number, c.pay({ deviceId: action.device, amount: action.amount, currency: action.currency, provider: action.provider, expiresInMs: action.expiresMs, transactionId }));
        this.lastPaid.set(action.device, transactionId);
        if (action.as) this.bindings.set(action.as, { value: transactionId, fields: { txn: transactionId, device: action.device, amount: action.amount } });
        return;
      }
      case "burst": {
        const ids: string[] = [];
        for (let i = 0; i < action.count; i++) {
          if (action.overMs > 0 && i > 0) await sleep(action.overMs / action.count);
          const transactionId = this.transactionId();
          ids.push(transactionId);
          this.send(number, c.pay({ deviceId: action.device, amount: action.amount, currency: action.currency, provider: action.provider, transactionId }));
        }
        this.lastPaid.set(action.device, ids[ids.length - 1]);
        if (action.as) this.bindings.set(action.as, { value: ids, fields: { first: ids[0], last: ids[ids.length - 1], device: action.device } });
        return;
      }
      case "forge": {
        const transactionId = `F${this.transactionId()}`;
        this.send(number, c.forge(action.device, action.forgery, { transactionId }));
        if (action.as) this.bindings.set(action.as, { value: transactionId, fields: { txn: transactionId, device: action.device } });
        return;
      }
      case "replay": {
        const resolved = action.txn === undefined ? this.lastPaid.get(action.device) : this.resolve(action.txn);
        if (resolved === undefined) throw new StepFailure(`nothing to replay: no payment was sent to ${action.device} yet`);
        if (Array.isArray(resolved)) throw new StepFailure(`${action.txn} names ${resolved.length} transactions; replay one ($name.first or $name.last)`);
        this.send(number, c.replay(action.device, resolved));
        if (action.as) this.bindings.set(action.as, { value: resolved, fields: { txn: resolved, device: action.device } });
        return;
      }
      case "charge": {
        const charge = await c.createCharge({ deviceId: action.device, amount: action.amount, currency: action.currency, expiresInMs: action.expiresMs, schemes: action.schemes });
        if (action.as)
          this.bindings.set(action.as, {
            value: charge.reference,
            fields: { ref: charge.reference, device: charge.deviceId, amount: charge.amount, ...(charge.codes.upi && { upi: charge.codes.upi }), ...(charge.codes.emv && { emv: charge.codes.emv }) },
          });
        return;
      }
      case "pay-charge": {
        const reference = this.#one(action.charge);
        // The transaction id is the service's; the binding is made once it is known.
        const paying = c.payCharge(reference, action.provider ?? "UPI", action.amount);
        this.send(number, paying);
        if (action.as) {
          const { transactionId, announcedBy } = await paying;
          const fields: Record<string, string> = { txn: transactionId, ref: reference };
          for (const deviceId of announcedBy) fields[deviceId] = `${transactionId}:${deviceId}`.slice(0, 64);
          this.bindings.set(action.as, { value: transactionId, fields });
        }
        return;
      }
      case "cancel-charge":
        return c.cancelCharge(this.#one(action.charge));
      case "command": {
        const result = await c.command(action.device, action.name, action.args);
        if (result.status !== action.status)
          throw new StepFailure(`${action.device} answered ${action.name} with ${result.status}${result.reason ? ` (${result.reason}${result.detail ? `: ${result.detail}` : ""})` : ""}, expected ${action.status}`);
        if (action.as) {
          const fields: Record<string, string> = { status: result.status };
          for (const [name, value] of Object.entries(result.result ?? {})) fields[name] = typeof value === "object" ? JSON.stringify(value) : String(value);
          this.bindings.set(action.as, { value: result.id ?? action.name, fields });
        }
        return;
      }
      case "place-tag":
        c.placeTag(action.device, action.tag);
        return;
      case "remove-tag":
        return c.removeTag(action.device);
      case "broker":
        return action.state === "down" ? c.brokerDown() : c.brokerUp();
      case "link":
        if (action.state === "down") c.linkDown(action.device);
        else if (action.state === "up") c.linkUp(action.device);
        else c.cutLink(action.device);
        return;
      case "power":
        if (action.state === "off") c.powerOff(action.device);
        else if (action.state === "on") c.powerOn(action.device);
        else await c.powerCycle(action.device, action.offMs);
        return;
      case "press":
        return c.press(action.device, action.button, action.holdMs);
      case "battery":
        return c.battery(action.device, { percent: action.percent, charging: action.charging });
      case "wait":
        return sleep(action.ms);
      case "mark":
        this.marks.set(action.name, Date.now());
        this.bindings.set(action.name, { value: action.name, fields: {} });
        return;
      case "note":
        return;
    }
  }

  /** A reference that must name one thing. */
  #one(text: string): string {
    const value = this.resolve(text);
    if (Array.isArray(value)) throw new StepFailure(`${text} names ${value.length} things; this step takes one`);
    return value;
  }

  /** Waits until the expectation holds; throws StepFailure with what was seen if it does not. */
  async expect(e: Expectation): Promise<void> {
    const deadline = Date.now() + e.withinMs;
    const check = this.checker(e);
    for (;;) {
      const verdict = check();
      if (verdict.done) {
        if (verdict.problem) throw new StepFailure(verdict.problem);
        return;
      }
      if (Date.now() >= deadline) {
        const final = check(true);
        if (final.problem) throw new StepFailure(final.problem);
        return;
      }
      await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
    }
  }

  /** A check of the expectation: done (held, or failed for good) or not yet; `last` is the final look. */
  checker(e: Expectation): (last?: boolean) => { done: boolean; problem?: string } {
    const within = `${e.withinMs} ms`;
    switch (e.kind) {
      case "event": {
        const since = e.since.from === "start" ? 0 : e.since.from === "last-action" ? this.lastActionAt : (this.marks.get(e.since.name) as number);
        const txn = e.txn === undefined ? undefined : this.resolve(e.txn);
        const what = `${e.source ?? "any source"} ${e.event}${e.txn ? ` ${e.txn}` : ""}${Object.keys(e.where).length ? ` where ${describeMatcher({ op: "fields", value: e.where })}` : ""}`;
        const count = () =>
          this.history.filter(
            (ev) =>
              ev.at >= since &&
              ev.name === e.event &&
              (e.source === undefined || ev.device === e.source) &&
              (txn === undefined || (Array.isArray(txn) ? txn.includes(String(ev.fields.txn)) : ev.fields.txn === txn)) &&
              Object.entries(e.where).every(([name, m]) => matches(m, ev.fields[name], this.resolve)),
          ).length;
        let settledAt: number | undefined;
        return (last = false) => {
          const n = count();
          if (e.count === undefined) return n >= 1 ? { done: true } : { done: last, problem: `no ${what} within ${within}` };
          if (n > e.count) return { done: true, problem: `expected ${e.count} ${what}, saw ${n}` };
          if (n < e.count) return { done: last, problem: `expected ${e.count} ${what}, saw ${n} within ${within}` };
          if (e.count === 0) return { done: last };
          settledAt ??= Date.now();
          return { done: last || Date.now() - settledAt >= e.settleMs };
        };
      }
      case "delivery": {
        const txn = this.resolve(e.txn);
        if (Array.isArray(txn)) throw new StepFailure(`${e.txn} names ${txn.length} transactions; a delivery expectation names one`);
        return (last = false) => {
          const report = this.control.simulator.service.delivery(txn);
          if (report?.state === e.state) return { done: true };
          return { done: last, problem: `delivery of ${txn} is ${report ? `${report.state} after ${report.attempts} attempt(s)` : "unknown to the service"}, expected ${e.state} within ${within}` };
        };
      }
      case "charge": {
        const reference = this.#one(e.reference);
        return (last = false) => {
          const charge = this.control.charge(reference);
          if (charge?.status === e.status) return { done: true };
          return { done: last, problem: `charge ${reference} is ${charge ? charge.status : "unknown here"}, expected ${e.status} within ${within}` };
        };
      }
      case "state":
        return (last = false) => {
          const device = this.control.state().devices.find((d) => d.deviceId === e.device);
          if (matches(e.state, device, this.resolve)) return { done: true };
          return { done: last, problem: `${e.device} state is ${JSON.stringify(pick(e.state, device))}, expected ${describeMatcher(e.state)} within ${within}` };
        };
      case "qr": {
        const display = this.control.device(e.device).display;
        if (!display) throw new StepFailure(`${e.device} has no screen`);
        const decode = qrDecoder();
        return (last = false) => {
          const text = decode(display.toRgba(), display.width, display.height);
          const ok = e.qr === "none" ? text === undefined : text !== undefined && matches(e.qr, text, this.resolve);
          if (ok) return { done: true };
          const expected = e.qr === "none" ? "no QR code" : `a QR code ${describeMatcher(e.qr)}`;
          return { done: last, problem: `${e.device} shows ${text === undefined ? "no readable QR code" : JSON.stringify(text)}, expected ${expected} within ${within}` };
        };
      }
    }
  }

  recent(step: Step | undefined): string[] {
    const devices = step?.kind === "expect" && "device" in step.expect ? [step.expect.device] : step?.kind === "expect" && step.expect.kind === "event" && step.expect.source ? [step.expect.source] : undefined;
    return this.history
      .filter((e) => e.level !== "debug" && (!devices || devices.includes(e.device)))
      .slice(-10)
      .map(eventLine);
  }
}

/** jsQR is a development dependency; it is loaded only when a scenario reads a screen. */
let jsQR: ((data: Uint8ClampedArray, width: number, height: number) => { data: string } | null) | undefined;
function qrDecoder(): (rgba: Uint8ClampedArray, width: number, height: number) => string | undefined {
  if (!jsQR) throw new StepFailure("reading QR codes needs the jsqr package (a development dependency): npm ci");
  const decode = jsQR;
  return (rgba, width, height) => decode(rgba, width, height)?.data ?? undefined;
}

async function loadDecoder(scenario: Scenario): Promise<void> {
  if (jsQR || !scenario.steps.some((s) => s.kind === "expect" && s.expect.kind === "qr")) return;
  try {
    jsQR = (await import("jsqr")).default as unknown as typeof jsQR;
  } catch {
    // Reported by the step that needs it.
  }
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const began = Date.now();
  const steps: StepResult[] = [];
  const stateDir = mkdtempSync(join(tmpdir(), "payterm-scenario-"));
  let simulator: Simulator | undefined;
  let control: SimulatorControl | undefined;
  let run: Run | undefined;
  const result = (failure?: ScenarioResult["failure"]): ScenarioResult => ({ scenario, passed: !failure, steps, failure, ms: Date.now() - began });
  try {
    await loadDecoder(scenario);
    try {
      simulator = await Simulator.start({
        stateDir,
        brokerUrl: options.brokerUrl,
        devices: scenario.devices,
        language: scenario.language,
        merchant: scenario.merchant,
        speechSpeed: scenario.speechSpeed,
        announcementWavs: false,
        // Its own client id, so a scenario never takes over the session of a simulator on a shared broker.
        service: { clientId: `payterm-scenario-${randomBytes(4).toString("hex")}`, delivery: scenario.delivery },
      });
      control = new SimulatorControl(simulator);
      run = new Run(control, scenario);
      await Promise.all(scenario.devices.map((d) => (control as SimulatorControl).online(d.deviceId, scenario.timeoutMs)));
    } catch (error) {
      return result({ number: undefined, line: undefined, problem: `the simulator did not start: ${(error as Error).message}`, recent: run?.recent(undefined) ?? [] });
    }
    for (const [i, step] of scenario.steps.entries()) {
      const number = i + 1;
      const started = Date.now();
      let problem: string | undefined;
      try {
        if (step.kind === "action") await run.act(number, step.action);
        else await run.expect(step.expect);
      } catch (error) {
        problem = (error as Error).message;
      }
      if (!problem && run.failedSend) problem = `step ${run.failedSend[0]}'s send failed: ${run.failedSend[1]}`;
      const outcome: StepResult = { number, step, ok: !problem, ms: Date.now() - started, ...(problem && { problem }) };
      steps.push(outcome);
      options.onStep?.(outcome);
      if (problem) return result({ number, line: step.at.line, problem, recent: run.recent(step) });
    }
    return result();
  } finally {
    control?.close();
    await simulator?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
