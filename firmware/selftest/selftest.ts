/**
 * The factory self-test, a mode of its own:
 *
 *   idle --start--> running (one check after another) --last check--> reporting --> showing
 *     --any button, or `resultMs`--> restart
 *
 * Entering it hands the device over: the product's own interface stops (`takeOver`: the soundbox
 * stops speaking and listening to its buttons, the QR display stops drawing), the buttons, screen
 * and speaker belong to the self-test, and the way back is a restart, which brings the product up
 * as it boots. Payments keep being received and journaled meanwhile. The report goes out on the
 * selftest topic (retained) and is shown on the screen, or, on the soundbox, played as tones:
 * rising for pass, three low beeps for fail.
 */
import type { ButtonId } from "../../hal/buttons";
import type { TimerHandle } from "../../hal/clock";
import type { Hal } from "../../hal/index";
import { CHECKS, DEFAULT_LIMITS, type CheckContext, type ControllerVersion, type SelfTestLimits } from "./checks";
import { encodeSelfTestReport, overallResult, type CheckResult, type SelfTestReport, type SelfTestTrigger } from "./report";
import { drawResult } from "./screens";

export type SelfTestState = "idle" | "running" | "showing";

export interface SelfTestOptions {
  hal: Hal;
  /** Publishes the report (retained, QoS 1) on the selftest topic. */
  publish(payload: Uint8Array): void;
  sessionReady(): boolean;
  nfcVersion?: () => ControllerVersion | undefined;
  /** Stops the product's own use of the buttons, screen and speaker. */
  takeOver(): void;
  limits?: Partial<SelfTestLimits>;
  /** How long the result stays before the restart. */
  resultMs?: number;
}

export const DEFAULT_RESULT_MS = 60_000;
const PASS_TONES: readonly [number, number][] = [[800, 150], [1600, 300]];
const FAIL_TONES: readonly [number, number][] = [[300, 200], [300, 200], [300, 200]];

export class SelfTest {
  readonly #o: SelfTestOptions;
  readonly #limits: SelfTestLimits;
  #state: SelfTestState = "idle";
  #trigger: SelfTestTrigger = "command";
  #startedAt = 0;
  #results: CheckResult[] = [];
  #timers: TimerHandle[] = [];
  #buttonHandler: ((button: ButtonId, pressed: boolean) => void) | undefined;
  #report: SelfTestReport | undefined;

  constructor(options: SelfTestOptions) {
    this.#o = options;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  get state(): SelfTestState {
    return this.#state;
  }

  /** The last report, once there is one. */
  get report(): SelfTestReport | undefined {
    return this.#report;
  }

  /** Enters the self-test; false when it is already running. */
  start(trigger: SelfTestTrigger): boolean {
    if (this.#state !== "idle") return false;
    const { hal } = this.#o;
    this.#state = "running";
    this.#trigger = trigger;
    this.#startedAt = hal.clock.monotonic();
    this.#results = [];
    hal.log.event("info", "selftest-start", { trigger });
    this.#o.takeOver();
    hal.buttons.onChange = (button, pressed) => this.#buttonHandler?.(button, pressed);
    this.#next(0);
    return true;
  }

  /** Stops timers (device shutdown); the device is restarted to leave the self-test. */
  stop(): void {
    this.#clearTimers();
    this.#buttonHandler = undefined;
  }

  #next(index: number): void {
    this.#clearTimers();
    if (index >= CHECKS.length) return this.#finish();
    const [name, check] = CHECKS[index];
    this.#o.hal.log.event("info", "selftest-step", { check: name });
    let done = false;
    const context: CheckContext = {
      hal: this.#o.hal,
      limits: this.#limits,
      once: (callback, ms) => {
        this.#timers.push(this.#o.hal.timers.once(callback, ms));
      },
      sessionReady: this.#o.sessionReady,
      nfcVersion: this.#o.nfcVersion,
      onButton: (handler) => {
        this.#buttonHandler = handler;
      },
      beep: (hz, ms) => this.#tones([[hz, ms]]),
    };
    check(context, (outcome) => {
      if (done) return;
      done = true;
      this.#buttonHandler = undefined;
      this.#results.push({ name, ...outcome });
      this.#o.hal.log.event(outcome.status === "fail" ? "warn" : "info", "selftest-check", { check: name, status: outcome.status, detail: outcome.detail });
      // On a later turn: a check that finished inside the previous one's callbacks starts clean.
      this.#timers.push(this.#o.hal.timers.once(() => this.#next(index + 1), 0));
    });
  }

  #finish(): void {
    const { hal } = this.#o;
    const report: SelfTestReport = {
      result: overallResult(this.#results),
      trigger: this.#trigger,
      product: hal.system.product,
      firmware: hal.system.firmwareVersion,
      at: hal.clock.now(),
      ms: Math.round(hal.clock.monotonic() - this.#startedAt),
      checks: this.#results,
    };
    this.#report = report;
    this.#state = "showing";
    hal.log.event(report.result === "pass" ? "info" : "warn", "selftest-done", { result: report.result, ms: report.ms });
    this.#o.publish(encodeSelfTestReport(report));
    if (hal.display) drawResult(hal.display, report.result, report.checks);
    this.#tones(report.result === "pass" ? PASS_TONES : FAIL_TONES);
    const restart = () => {
      this.#clearTimers();
      this.#buttonHandler = undefined;
      hal.log.event("info", "selftest-exit");
      hal.system.restart();
    };
    this.#buttonHandler = (_button, pressed) => {
      if (pressed) restart();
    };
    this.#timers.push(hal.timers.once(restart, this.#o.resultMs ?? DEFAULT_RESULT_MS));
  }

  #tones(tones: readonly (readonly [number, number])[]): void {
    const audio = this.#o.hal.audio;
    if (!audio) return;
    try {
      for (const [hz, ms] of tones) if (audio.pending() < audio.capacity) audio.enqueueTone(hz, ms);
    } catch (error) {
      this.#o.hal.log.event("warn", "selftest-tone-failed", { detail: (error as Error).message });
    }
  }

  #clearTimers(): void {
    for (const timer of this.#timers) this.#o.hal.timers.clear(timer);
    this.#timers = [];
  }
}
