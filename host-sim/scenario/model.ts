/**
 * A scenario as the runner executes it: the simulated world to start, then steps in order. Every
 * step keeps the line it came from, so a failure names it. The file format is docs/scenarios.md.
 */

/** Where in the file something was written. */
export interface Source {
  line: number;
  col: number;
}

/** A string that may name what an earlier step bound with `as`: "$first", "$charge.payload". */
export type Text = string;

/** Compares a value seen in the simulator: equal (as text), or an operator. */
export type Matcher =
  | { op: "equals"; value: string | number | boolean | null }
  | { op: "contains"; value: Text }
  | { op: "matches"; value: RegExp }
  | { op: "min"; value: number }
  | { op: "max"; value: number }
  | { op: "not"; value: Matcher }
  | { op: "fields"; value: Record<string, Matcher> };

export type Action =
  | { kind: "pay"; device: string; amount: string; currency: string | undefined; provider: string | undefined; expiresMs: number | undefined; as: string | undefined }
  | { kind: "burst"; device: string; count: number; amount: string; currency: string | undefined; provider: string | undefined; overMs: number; as: string | undefined }
  | { kind: "forge"; device: string; forgery: string; as: string | undefined }
  | { kind: "replay"; device: string; txn: Text | undefined; as: string | undefined }
  | { kind: "charge"; device: string; amount: string; currency: string | undefined; expiresMs: number | undefined; schemes: ("upi" | "emv")[]; as: string | undefined }
  | { kind: "pay-charge"; charge: Text; provider: string | undefined; amount: string | undefined; as: string | undefined }
  | { kind: "cancel-charge"; charge: Text }
  | { kind: "command"; device: string; name: string; args: string[]; status: "ok" | "rejected" | "duplicate"; as: string | undefined }
  | { kind: "place-tag"; device: string; tag: string }
  | { kind: "remove-tag"; device: string }
  | { kind: "broker"; state: "down" | "up" }
  | { kind: "link"; device: string; state: "down" | "up" | "cut" }
  | { kind: "power"; device: string; state: "off" | "on" | "cycle"; offMs: number }
  | { kind: "press"; device: string; button: string; holdMs: number }
  | { kind: "battery"; device: string; percent: number | undefined; charging: boolean | undefined }
  | { kind: "wait"; ms: number }
  | { kind: "mark"; name: string }
  | { kind: "note"; text: string };

/** Where an event expectation starts counting. */
export type Since = { from: "start" } | { from: "last-action" } | { from: "mark"; name: string };

export type Expectation =
  | {
      kind: "event";
      /** A device id, "service", "broker" or "simulator"; any source when absent. */
      source: string | undefined;
      event: string;
      txn: Text | undefined;
      where: Record<string, Matcher>;
      /** Exactly this many; at least one when absent. */
      count: number | undefined;
      since: Since;
      withinMs: number;
      settleMs: number;
    }
  | { kind: "delivery"; txn: Text; state: string; withinMs: number }
  | { kind: "charge"; reference: Text; status: string; withinMs: number }
  | { kind: "state"; device: string; state: Matcher; withinMs: number }
  | { kind: "qr"; device: string; qr: Matcher | "none"; withinMs: number };

export type Step = { at: Source; label: string } & ({ kind: "action"; action: Action } | { kind: "expect"; expect: Expectation });

export interface ScenarioDevice {
  deviceId: string;
  product: "soundbox" | "qr-display";
}

export interface Scenario {
  file: string;
  name: string;
  description: string | undefined;
  devices: ScenarioDevice[];
  /** The devices' language; the simulator's default when absent. */
  language: string | undefined;
  merchant: { vpa: string; name: string } | undefined;
  /** The payment service's retry policy, shortened so outages resolve quickly. */
  delivery: { ackTimeoutMs?: number; maxBackoffMs?: number };
  /** How many times faster than real time the soundboxes speak. */
  speechSpeed: number;
  /** Default `within` of expectations. */
  timeoutMs: number;
  steps: Step[];
}
