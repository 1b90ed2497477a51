/**
 * The self-test report (docs/protocol.md, "Self-test"), published retained on pt/v1/{id}/selftest:
 *
 *   {v: 1, result: "pass" | "fail", trigger: "buttons" | "command", product, fw, at, ms,
 *    checks: [{name, st: "pass" | "fail" | "skip", msg, val?}, ...]}
 *
 * The result is "pass" when no check failed; a check the device has no hardware for is "skip".
 */
import type { Product } from "../../hal/system";
import { encodeCbor, type CborMap } from "../protocol/cbor";

export type CheckName = "speaker" | "display" | "nfc" | "buttons" | "battery" | "network";
export type CheckStatus = "pass" | "fail" | "skip";
export type SelfTestTrigger = "buttons" | "command";

export interface CheckResult {
  name: CheckName;
  status: CheckStatus;
  /** For people: what was measured, or why it failed. */
  detail: string;
  /** Measurements, for the factory's records. */
  values?: CborMap;
}

export interface SelfTestReport {
  result: "pass" | "fail";
  trigger: SelfTestTrigger;
  product: Product;
  firmware: string;
  at: number;
  /** How long the self-test took. */
  ms: number;
  checks: CheckResult[];
}

export function overallResult(checks: readonly CheckResult[]): "pass" | "fail" {
  return checks.some((c) => c.status === "fail") ? "fail" : "pass";
}

export function encodeSelfTestReport(report: SelfTestReport): Uint8Array {
  return encodeCbor({
    v: 1,
    result: report.result,
    trigger: report.trigger,
    product: report.product,
    fw: report.firmware,
    at: report.at,
    ms: report.ms,
    checks: report.checks.map((c) => {
      const check: CborMap = { name: c.name, st: c.status, msg: c.detail };
      if (c.values) check.val = c.values;
      return check;
    }),
  });
}
