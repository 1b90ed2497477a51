/**
 * Reads a scenario file (YAML, or JSON, which YAML reads as well) into a checked Scenario. Every
 * mistake is reported with its line, column and field path: an unknown step or field, a wrong
 * type, a bad duration or amount, an unknown device, a `$name` no earlier step bound.
 */
import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type Scalar, type YAMLMap } from "yaml";
import { isValidDeviceId } from "../../firmware/protocol/topics";
import { FORGERIES } from "../control/forgery";
import { SIM_TAG_KINDS } from "../nfc/simulator-nfc";
import type { Action, Expectation, Matcher, Scenario, ScenarioDevice, Since, Source, Step } from "./model";

export class ScenarioSyntaxError extends Error {
  constructor(readonly file: string, readonly at: Source, readonly path: string, readonly problem: string) {
    super(`${file}:${at.line}:${at.col}: ${path ? `${path}: ` : ""}${problem}`);
  }
}

const DELIVERY_STATES = ["published", "retrying", "announced", "duplicate", "rejected", "expired"];
const CHARGE_STATUSES = ["shown", "paid", "mismatch", "expired", "cancelled", "replaced"];
const EVENT_SOURCES = ["service", "nfc", "broker", "simulator"];
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;
const REFERENCE = /^\$([A-Za-z_][A-Za-z0-9_]{0,31})(?:\.([A-Za-z0-9_-]+))?$/;
const DEFAULT_DEVICES: ScenarioDevice[] = [
  { deviceId: "soundbox-1", product: "soundbox" },
  { deviceId: "qr-display-1", product: "qr-display" },
];
const DEFAULT_TIMEOUT_MS = 5000;
/** Scenarios check what is said, not how long it takes to say: speech runs 4x fast unless a file says otherwise. */
const DEFAULT_SPEECH_SPEED = 4;
const OPERATORS = ["contains", "matches", "min", "max", "not"];

type Value = Node | null;

/** "250ms", "2s", "1.5s", "1m", or a number of milliseconds. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? Math.round(text) : undefined;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/.exec(text.trim());
  if (!match) return undefined;
  const scale = { ms: 1, s: 1000, m: 60_000 }[match[2] as "ms" | "s" | "m"];
  return Math.round(Number(match[1]) * scale);
}

/** A map's checked fields. `at(key)` is a field's node and path, what every check of Reader takes. */
class Fields {
  constructor(
    private readonly values: Map<string, Value>,
    private readonly path: string,
  ) {}

  has(key: string): boolean {
    return this.values.has(key);
  }

  get(key: string): Value {
    return this.values.get(key) ?? null;
  }

  at(key: string): [Value, string] {
    return [this.get(key), join(this.path, key)];
  }
}

class Reader {
  /** Names bound by `as` so far, in step order. */
  readonly bound = new Set<string>();
  readonly devices = new Map<string, ScenarioDevice>();

  constructor(readonly file: string, private readonly lines: LineCounter) {}

  at(node: Value | Pair | undefined): Source {
    const offset = node && "range" in node && node.range ? node.range[0] : node && "key" in node && isScalar(node.key) && node.key.range ? node.key.range[0] : 0;
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  fail(node: Value | Pair | undefined, path: string, problem: string): never {
    throw new ScenarioSyntaxError(this.file, this.at(node), path, problem);
  }

  /** The fields of a map, checked against what may and must be there. */
  fields(node: Value, path: string, allowed: readonly string[], required: readonly string[] = []): Fields {
    if (!isMap(node)) this.fail(node, path, `must be a map with ${required.length ? required.join(", ") : allowed.join(", ")}`);
    const out = new Map<string, Value>();
    for (const pair of (node as YAMLMap).items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== "string") this.fail(pair.key as Value, path, "keys must be plain names");
      if (!allowed.includes(key)) this.fail(pair.key as Value, join(path, key), `unknown field; expected one of ${allowed.join(", ")}`);
      out.set(key, (pair.value ?? null) as Value);
    }
    for (const name of required) if (!out.has(name)) this.fail(node, path, `missing ${name}`);
    return new Fields(out, path);
  }

  scalar(node: Value, path: string): string | number | boolean | null {
    if (!isScalar(node)) this.fail(node, path, "must be a single value");
    return (node as Scalar).value as string | number | boolean | null;
  }

  string(node: Value, path: string): string {
    const value = this.scalar(node, path);
    if (typeof value !== "string" || value === "") this.fail(node, path, "must be a non-empty string");
    return value;
  }

  int(node: Value, path: string, min: number, max: number): number {
    const value = this.scalar(node, path);
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) this.fail(node, path, `must be a whole number ${min}-${max}`);
    return value;
  }

  bool(node: Value, path: string): boolean {
    const value = this.scalar(node, path);
    if (typeof value !== "boolean") this.fail(node, path, "must be true or false");
    return value;
  }

  duration(node: Value, path: string): number {
    const value = this.scalar(node, path);
    const ms = typeof value === "string" || typeof value === "number" ? parseDuration(value) : undefined;
    if (ms === undefined) this.fail(node, path, 'must be a duration such as 500ms, 2s or 1m');
    return ms;
  }

  oneOf<T extends string>(node: Value, path: string, values: readonly T[]): T {
    const value = this.scalar(node, path);
    if (!values.includes(value as T)) this.fail(node, path, `must be one of ${values.join(", ")}`);
    return value as T;
  }

  /** An amount as a person writes it; quoted ("250.00") keeps trailing zeros, a YAML number does not matter here. */
  amount(node: Value, path: string): string {
    const value = this.scalar(node, path);
    const text = typeof value === "number" ? String(value) : value;
    if (typeof text !== "string" || !/^\d{1,11}(\.\d{1,3})?$/.test(text)) this.fail(node, path, 'must be a plain decimal amount such as "250.00"');
    return text;
  }

  device(node: Value, path: string): string {
    const id = this.string(node, path);
    if (!this.devices.has(id)) this.fail(node, path, `no device ${JSON.stringify(id)} in this scenario; devices: ${[...this.devices.keys()].join(", ")}`);
    return id;
  }

  /** A text that may be a reference to a name bound earlier. */
  text(node: Value, path: string): string {
    const text = this.string(node, path);
    this.checkReference(node, path, text);
    return text;
  }

  checkReference(node: Value, path: string, text: string): void {
    if (!text.startsWith("$")) return;
    const ref = REFERENCE.exec(text);
    if (!ref) this.fail(node, path, `${JSON.stringify(text)} is not a reference ($name or $name.field)`);
    if (!this.bound.has(ref[1])) this.fail(node, path, `$${ref[1]} is not bound by an earlier step's "as"`);
  }

  bind(node: Value, path: string): string {
    const name = this.string(node, path);
    if (!NAME.test(name)) this.fail(node, path, "must be a name: a letter or _, then letters, digits or _");
    if (this.bound.has(name)) this.fail(node, path, `$${name} is already bound by an earlier step`);
    this.bound.add(name);
    return name;
  }

  matcher(node: Value, path: string): Matcher {
    if (isSeq(node)) this.fail(node, path, "lists are not compared; name the fields to check");
    if (!isMap(node)) {
      const value = this.scalar(node, path);
      if (typeof value === "string") this.checkReference(node, path, value);
      return { op: "equals", value };
    }
    const map = node as YAMLMap;
    const first = map.items[0];
    const key = first && isScalar(first.key) ? String(first.key.value) : "";
    if (map.items.length === 1 && OPERATORS.includes(key)) {
      const value = (first.value ?? null) as Value;
      const at = join(path, key);
      switch (key) {
        case "contains":
          return { op: "contains", value: this.text(value, at) };
        case "matches":
          try {
            return { op: "matches", value: new RegExp(this.string(value, at)) };
          } catch (error) {
            this.fail(value, at, `not a regular expression: ${(error as Error).message}`);
          }
        case "min":
        case "max": {
          const n = this.scalar(value, at);
          if (typeof n !== "number") this.fail(value, at, "must be a number");
          return { op: key, value: n };
        }
        default:
          return { op: "not", value: this.matcher(value, at) };
      }
    }
    const fields: Record<string, Matcher> = {};
    for (const pair of map.items) {
      // Numbers name list positions: totals: { 0: { currency: INR } }.
      const name = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof name !== "string" && !(typeof name === "number" && Number.isInteger(name) && name >= 0))
        this.fail(pair.key as Value, path, "keys must be plain names or list positions");
      fields[String(name)] = this.matcher((pair.value ?? null) as Value, join(path, String(name)));
    }
    return { op: "fields", value: fields };
  }
}

function join(path: string, key: string | number): string {
  return typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

const ACTIONS: Record<string, (r: Reader, node: Value, path: string) => Action> = {
  pay(r, node, path) {
    const f = r.fields(node, path, ["device", "amount", "currency", "provider", "expires", "as"], ["device", "amount"]);
    return {
      kind: "pay",
      device: r.device(...f.at("device")),
      amount: r.amount(...f.at("amount")),
      currency: f.has("currency") ? r.string(...f.at("currency")) : undefined,
      provider: f.has("provider") ? r.string(...f.at("provider")) : undefined,
      expiresMs: f.has("expires") ? r.duration(...f.at("expires")) : undefined,
      as: f.has("as") ? r.bind(...f.at("as")) : undefined,
    };
  },
  burst(r, node, path) {
    const f = r.fields(node, path, ["device", "count", "amount", "currency", "provider", "over", "as"], ["device", "count", "amount"]);
    return {
      kind: "burst",
      device: r.device(...f.at("device")),
      count: r.int(...f.at("count"), 1, 10_000),
      amount: r.amount(...f.at("amount")),
      currency: f.has("currency") ? r.string(...f.at("currency")) : undefined,
      provider: f.has("provider") ? r.string(...f.at("provider")) : undefined,
      overMs: f.has("over") ? r.duration(...f.at("over")) : 0,
      as: f.has("as") ? r.bind(...f.at("as")) : undefined,
    };
  },
  forge(r, node, path) {
    const f = r.fields(node, path, ["device", "kind", "as"], ["device", "kind"]);
    return {
      kind: "forge",
      device: r.device(...f.at("device")),
      forgery: r.oneOf(...f.at("kind"), Object.keys(FORGERIES)),
      as: f.has("as") ? r.bind(...f.at("as")) : undefined,
    };
  },
  replay(r, node, path) {
    const f = r.fields(node, path, ["device", "txn", "as"], ["device"]);
    return {
      kind: "replay",
      device: r.device(...f.at("device")),
      txn: f.has("txn") ? r.text(...f.at("txn")) : undefined,
      as: f.has("as") ? r.bind(...f.at("as")) : undefined,
    };
  },
  charge(r, node, path) {
    const f = r.fields(node, path, ["device", "amount", "currency", "expires", "codes", "as"], ["device", "amount"]);
    const device = r.device(...f.at("device"));
    if (r.devices.get(device)?.product !== "qr-display") r.fail(...f.at("device"), `${device} has no screen to show a charge on`);
    const codes = f.has("codes") ? r.oneOf(...f.at("codes"), ["upi", "emv", "both"] as const) : "both";
    return {
      kind: "charge",
      device,
      amount: r.amount(...f.at("amount")),
      currency: f.has("currency") ? r.string(...f.at("currency")) : undefined,
      expiresMs: f.has("expires") ? r.duration(...f.at("expires")) : undefined,
      schemes: codes === "both" ? ["upi", "emv"] : [codes],
      as: f.has("as") ? r.bind(...f.at("as")) : undefined,
    };
  },
  "pay-charge"(r, node, path) {
    const f = r.fields(node, path, ["charge", "provider", "amount", "as"], ["charge"]);
    return {
      kind: "pay-charge",
      charge: r.text(...f.at("charge")),
      provider: f.has("provider") ? r.string(...f.at("provider")) : undefined,
      amount: f.has("amount") ? r.amount(...f.at("amount")) : undefined,
      as: f.has("as") ? r.bind(...f.at("as")) : undefined,
    };
  },
  "cancel-charge": (r, node, path) => ({ kind: "cancel-charge", charge: r.text(node, path) }),
  command(r, node, path) {
    const f = r.fields(node, path, ["device", "name", "args", "status", "as"], ["device", "name"]);
    const args: string[] = [];
    if (f.has("args")) {
      const argsNode = f.get("args");
      if (!isMap(argsNode)) r.fail(argsNode, join(path, "args"), "must map argument names to values");
      for (const pair of (argsNode as YAMLMap).items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : "";
        const value = r.scalar((pair.value ?? null) as Value, join(path, `args.${name}`));
        args.push(`${name}=${value === null ? "null" : String(value)}`);
      }
    }
    return {
      kind: "command",
      device: r.device(...f.at("device")),
      name: r.string(...f.at("name")),
      args,
      status: f.has("status") ? r.oneOf(...f.at("status"), ["ok", "rejected", "duplicate"] as const) : "ok",
      as: f.has("as") ? r.bind(...f.at("as")) : undefined,
    };
  },
  "place-tag"(r, node, path) {
    const f = r.fields(node, path, ["device", "tag"], ["device", "tag"]);
    const device = r.device(...f.at("device"));
    if (r.devices.get(device)?.product !== "qr-display") r.fail(...f.at("device"), `${device} has no NFC reader`);
    return { kind: "place-tag", device, tag: r.oneOf(...f.at("tag"), SIM_TAG_KINDS) };
  },
  "remove-tag"(r, node, path) {
    const device = r.device(node, path);
    if (r.devices.get(device)?.product !== "qr-display") r.fail(node, path, `${device} has no NFC reader`);
    return { kind: "remove-tag", device };
  },
  broker: (r, node, path) => ({ kind: "broker", state: r.oneOf(node, path, ["down", "up"] as const) }),
  link(r, node, path) {
    const f = r.fields(node, path, ["device", "state"], ["device", "state"]);
    return { kind: "link", device: r.device(...f.at("device")), state: r.oneOf(...f.at("state"), ["down", "up", "cut"] as const) };
  },
  power(r, node, path) {
    const f = r.fields(node, path, ["device", "state", "off"], ["device", "state"]);
    return {
      kind: "power",
      device: r.device(...f.at("device")),
      state: r.oneOf(...f.at("state"), ["off", "on", "cycle"] as const),
      offMs: f.has("off") ? r.duration(...f.at("off")) : 500,
    };
  },
  press(r, node, path) {
    const f = r.fields(node, path, ["device", "button", "hold"], ["device", "button"]);
    return {
      kind: "press",
      device: r.device(...f.at("device")),
      // "summary" is the soundbox's name for its function button.
      button: ((b) => (b === "summary" ? "function" : b))(r.oneOf(...f.at("button"), ["volumeUp", "volumeDown", "replay", "summary", "power", "function"] as const)),
      holdMs: f.has("hold") ? r.duration(...f.at("hold")) : 80,
    };
  },
  battery(r, node, path) {
    const f = r.fields(node, path, ["device", "percent", "charging"], ["device"]);
    if (!f.has("percent") && !f.has("charging")) r.fail(node, path, "give percent, charging or both");
    return {
      kind: "battery",
      device: r.device(...f.at("device")),
      percent: f.has("percent") ? r.int(...f.at("percent"), 0, 100) : undefined,
      charging: f.has("charging") ? r.bool(...f.at("charging")) : undefined,
    };
  },
  wait: (r, node, path) => ({ kind: "wait", ms: r.duration(node, path) }),
  mark: (r, node, path) => ({ kind: "mark", name: r.bind(node, path) }),
  note: (r, node, path) => ({ kind: "note", text: r.string(node, path) }),
};

function since(r: Reader, node: Value, path: string): Since {
  const text = r.string(node, path);
  if (text === "start" || text === "last-action") return { from: text };
  if (!r.bound.has(text)) r.fail(node, path, `must be start, last-action or a name set by an earlier mark step`);
  return { from: "mark", name: text };
}

function expectation(r: Reader, node: Value, path: string, timeoutMs: number): Expectation {
  if (!isMap(node)) r.fail(node, path, "must be a map with one of event, delivery, state, qr");
  const keys = (node as YAMLMap).items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : ""));
  // The first of these present decides the kind ("state" is also a field of a delivery expectation).
  const kind = ["event", "delivery", "charge", "qr", "state"].find((k) => keys.includes(k));
  if (!kind) r.fail(node, path, "needs one of event, delivery, charge, qr, state");
  const within = (f: Fields) => (f.has("within") ? r.duration(...f.at("within")) : timeoutMs);
  switch (kind) {
    case "event": {
      const f = r.fields(node, path, ["event", "device", "txn", "where", "count", "since", "within", "settle"], ["event"]);
      let source: string | undefined;
      if (f.has("device")) {
        source = r.string(...f.at("device"));
        if (!r.devices.has(source) && !EVENT_SOURCES.includes(source))
          r.fail(...f.at("device"), `must be a device of this scenario or one of ${EVENT_SOURCES.join(", ")}`);
      }
      const where: Record<string, Matcher> = {};
      if (f.has("where")) {
        const m = r.matcher(...f.at("where"));
        if (m.op !== "fields") r.fail(...f.at("where"), "must map event fields to expected values");
        Object.assign(where, m.value);
      }
      const txn = f.has("txn") ? r.text(...f.at("txn")) : undefined;
      return {
        kind: "event",
        source,
        event: r.string(...f.at("event")),
        txn,
        where,
        count: f.has("count") ? r.int(...f.at("count"), 0, 100_000) : undefined,
        // An expectation about a named transaction looks at the whole run; others at what followed the last action.
        since: f.has("since") ? since(r, ...f.at("since")) : txn ? { from: "start" } : { from: "last-action" },
        withinMs: within(f),
        settleMs: f.has("settle") ? r.duration(...f.at("settle")) : 0,
      };
    }
    case "delivery": {
      const f = r.fields(node, path, ["delivery", "state", "within"], ["delivery", "state"]);
      return {
        kind: "delivery",
        txn: r.text(...f.at("delivery")),
        state: r.oneOf(...f.at("state"), DELIVERY_STATES),
        withinMs: within(f),
      };
    }
    case "charge": {
      const f = r.fields(node, path, ["charge", "status", "within"], ["charge", "status"]);
      return {
        kind: "charge",
        reference: r.text(...f.at("charge")),
        status: r.oneOf(...f.at("status"), CHARGE_STATUSES),
        withinMs: within(f),
      };
    }
    case "state": {
      const f = r.fields(node, path, ["device", "state", "within"], ["device", "state"]);
      const state = r.matcher(...f.at("state"));
      if (state.op !== "fields") r.fail(...f.at("state"), "must map state fields to expected values");
      return { kind: "state", device: r.device(...f.at("device")), state, withinMs: within(f) };
    }
    default: {
      const f = r.fields(node, path, ["device", "qr", "within"], ["device", "qr"]);
      const device = r.device(...f.at("device"));
      if (r.devices.get(device)?.product !== "qr-display") r.fail(...f.at("device"), `${device} has no screen`);
      const qrNode = f.get("qr");
      const qr = isScalar(qrNode) && qrNode.value === "none" ? "none" : r.matcher(qrNode, join(path, "qr"));
      return { kind: "qr", device, qr, withinMs: within(f) };
    }
  }
}

/** A step on one line, for progress and failure reports: `pay device=soundbox-1 amount=250.00`. */
function describeStep(kind: string, node: Value): string {
  const compact = (value: unknown): string =>
    value !== null && typeof value === "object"
      ? `{${Object.entries(value).map(([k, v]) => `${k}:${compact(v)}`).join(",")}}`
      : String(value);
  if (isScalar(node)) return `${kind} ${String(node.value)}`;
  if (!isMap(node)) return kind;
  const parts = (node as YAMLMap).items.map((pair) => `${String((pair.key as Scalar).value)}=${compact(pair.value && (pair.value as Node).toJSON())}`);
  return `${kind} ${parts.join(" ")}`.trim();
}

function devices(r: Reader, node: Value, path: string): ScenarioDevice[] {
  if (!isSeq(node) || node.items.length === 0) r.fail(node, path, "must be a list of devices");
  return node.items.map((item, i) => {
    const at = join(path, i);
    const f = r.fields(item as Value, at, ["id", "product"], ["id", "product"]);
    const deviceId = r.string(...f.at("id"));
    if (!isValidDeviceId(deviceId)) r.fail(...f.at("id"), "must be 1-64 of A-Z a-z 0-9 _ -");
    if (r.devices.has(deviceId)) r.fail(...f.at("id"), `${deviceId} is listed twice`);
    const device: ScenarioDevice = {
      deviceId,
      product: r.oneOf(...f.at("product"), ["soundbox", "qr-display"] as const),
    };
    r.devices.set(deviceId, device);
    return device;
  });
}

export function parseScenario(text: string, file: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const r: Reader = new Reader(file, lines);
  const problem = doc.errors[0];
  if (problem) {
    const offset = problem.pos[0];
    const { line, col } = lines.linePos(offset);
    throw new ScenarioSyntaxError(file, { line, col }, "", problem.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, ""));
  }
  const root = doc.contents as Value;
  const top = r.fields(root, "", ["name", "description", "devices", "language", "merchant", "delivery", "speechSpeed", "timeout", "steps"], ["name", "steps"]);
  const scenarioDevices = top.has("devices") ? devices(r, ...top.at("devices")) : DEFAULT_DEVICES;
  if (!top.has("devices")) for (const d of scenarioDevices) r.devices.set(d.deviceId, d);
  let merchant: Scenario["merchant"];
  if (top.has("merchant")) {
    const f = r.fields(...top.at("merchant"), ["vpa", "name"], ["vpa", "name"]);
    merchant = { vpa: r.string(...f.at("vpa")), name: r.string(...f.at("name")) };
  }
  const delivery: Scenario["delivery"] = {};
  if (top.has("delivery")) {
    const f = r.fields(...top.at("delivery"), ["ackTimeout", "maxBackoff"]);
    if (f.has("ackTimeout")) delivery.ackTimeoutMs = r.duration(...f.at("ackTimeout"));
    if (f.has("maxBackoff")) delivery.maxBackoffMs = r.duration(...f.at("maxBackoff"));
  }
  const timeoutMs = top.has("timeout") ? r.duration(...top.at("timeout")) : DEFAULT_TIMEOUT_MS;

  const stepsNode = top.get("steps");
  if (!isSeq(stepsNode) || stepsNode.items.length === 0) r.fail(stepsNode, "steps", "must be a non-empty list of steps");
  const steps: Step[] = stepsNode.items.map((item, i) => {
    const path = `steps[${i}]`;
    const node = item as Value;
    if (!isMap(node) || (node as YAMLMap).items.length !== 1)
      r.fail(node, path, `each step is a map with one key: ${[...Object.keys(ACTIONS), "expect"].join(", ")}`);
    const pair = (node as YAMLMap).items[0];
    const kind = isScalar(pair.key) ? String(pair.key.value) : "";
    const value = (pair.value ?? null) as Value;
    const at = r.at(node);
    const label = describeStep(kind, value);
    if (kind === "expect") return { at, label, kind: "expect", expect: expectation(r, value, join(path, kind), timeoutMs) };
    const action = ACTIONS[kind];
    if (!action) r.fail(pair.key as Value, path, `unknown step ${JSON.stringify(kind)}; one of ${[...Object.keys(ACTIONS), "expect"].join(", ")}`);
    return { at, label, kind: "action", action: action(r, value, join(path, kind)) };
  });

  return {
    file,
    name: r.string(...top.at("name")),
    description: top.has("description") ? r.string(...top.at("description")) : undefined,
    devices: scenarioDevices,
    language: top.has("language") ? r.string(...top.at("language")) : undefined,
    merchant,
    delivery,
    speechSpeed: top.has("speechSpeed") ? r.int(...top.at("speechSpeed"), 1, 100) : DEFAULT_SPEECH_SPEED,
    timeoutMs,
    steps,
  };
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ScenarioSyntaxError(file, { line: 1, col: 1 }, "", `cannot read: ${(error as Error).message}`);
  }
  return parseScenario(text, file);
}
