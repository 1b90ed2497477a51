/**
 * The self-test's checks, in the order they run. Each runs to one result: "pass", "fail" with
 * why, or "skip" when the device has no such part. None blocks: waits are HAL timers, and the
 * operator's presses arrive through the runner.
 *
 *   speaker   a square-wave sweep, 300 Hz to 3 kHz, six 200 ms steps (pins/audioout Tone): pass when
 *             the queue played it through (the operator listens for all six)
 *   display   the test pattern (screens.ts), held for `patternMs`
 *   nfc       the PN532's GetFirmwareVersion answer (IC 0x32), waited for up to `nfcMs`
 *   buttons   every button pressed once, any order, within `buttonsMs`; a beep answers each
 *   battery   the charge level (at least `minBatteryPercent`, or charging)
 *   network   Wi-Fi link up at `minRssi` dBm or better, and the MQTT session connected and
 *             subscribed within `networkMs`
 */
import type { ButtonId } from "../../hal/buttons";
import type { Hal } from "../../hal/index";
import type { CborMap } from "../protocol/cbor";
import type { CheckName, CheckResult } from "./report";
import { drawPrompt, drawTestPattern } from "./screens";

export interface SelfTestLimits {
  patternMs: number;
  nfcMs: number;
  buttonsMs: number;
  networkMs: number;
  minBatteryPercent: number;
  minRssi: number;
}

export const DEFAULT_LIMITS: SelfTestLimits = Object.freeze({
  patternMs: 3000,
  nfcMs: 3000,
  buttonsMs: 20_000,
  networkMs: 10_000,
  minBatteryPercent: 20,
  minRssi: -80,
});

/** The sweep's steps, Hz, and how long each plays. */
export const SWEEP_HZ: readonly number[] = [300, 600, 1000, 1500, 2200, 3000];
export const SWEEP_STEP_MS = 200;
/** Extra time the queue may take beyond the sweep's length before the check fails. */
const SPEAKER_SLACK_MS = 2000;
const POLL_MS = 100;
/** GetFirmwareVersion's IC byte for a PN532 (UM0701-02 section 7.2.2). */
const PN532_IC = 0x32;

/** What the NFC driver knows of the controller (firmware/nfc's FirmwareVersion). */
export interface ControllerVersion {
  ic: number;
  version: number;
  revision: number;
  support: number;
}

export interface CheckContext {
  hal: Pick<Hal, "audio" | "display" | "qr" | "buttons" | "power" | "network" | "system" | "nfc">;
  limits: SelfTestLimits;
  once(callback: () => void, ms: number): void;
  /** The MQTT session is connected and subscribed. */
  sessionReady(): boolean;
  /** The PN532's version once the NFC driver has it; undefined when there is no driver. */
  nfcVersion: (() => ControllerVersion | undefined) | undefined;
  /** Routes button edges to the running check (undefined: none wants them). */
  onButton(handler: ((button: ButtonId, pressed: boolean) => void) | undefined): void;
  beep(frequencyHz: number, ms: number): void;
}

export type Outcome = Omit<CheckResult, "name">;
export type Check = (context: CheckContext, done: (outcome: Outcome) => void) => void;

const speaker: Check = ({ hal, once }, done) => {
  const audio = hal.audio;
  if (!audio) return done({ status: "skip", detail: "no speaker" });
  let finished = false;
  const finish = (outcome: Outcome) => {
    if (finished) return;
    finished = true;
    done(outcome);
  };
  try {
    audio.flush();
    audio.setVolume(1);
    for (const hz of SWEEP_HZ) audio.enqueueTone(hz, SWEEP_STEP_MS);
    audio.enqueueCallback(() => finish({ status: "pass", detail: `swept ${SWEEP_HZ[0]}-${SWEEP_HZ[SWEEP_HZ.length - 1]} Hz`, values: { tones: SWEEP_HZ.length, ms: SWEEP_STEP_MS } }));
  } catch (error) {
    return finish({ status: "fail", detail: `audio refused the sweep: ${(error as Error).message}` });
  }
  once(() => finish({ status: "fail", detail: "the sweep did not finish playing" }), SWEEP_HZ.length * SWEEP_STEP_MS + SPEAKER_SLACK_MS);
};

const display: Check = ({ hal, limits, once }, done) => {
  const screen = hal.display;
  if (!screen) return done({ status: "skip", detail: "no display" });
  let qr: string | undefined;
  try {
    qr = drawTestPattern(screen, hal.qr, `PAYTERM SELFTEST ${hal.system.deviceId}`);
  } catch (error) {
    return done({ status: "fail", detail: `drawing failed: ${(error as Error).message}` });
  }
  const values: CborMap = { w: screen.width, h: screen.height };
  if (qr) values.qr = qr;
  once(() => done({ status: "pass", detail: `pattern shown at ${screen.width}x${screen.height}`, values }), limits.patternMs);
};

const nfc: Check = ({ hal, limits, once, nfcVersion }, done) => {
  if (!hal.nfc) return done({ status: "skip", detail: "no NFC controller" });
  if (!nfcVersion) return done({ status: "fail", detail: "no NFC driver to ask" });
  const deadline = limits.nfcMs;
  let waited = 0;
  const poll = () => {
    const version = nfcVersion();
    if (version) {
      const values = { ic: version.ic, ver: version.version, rev: version.revision, support: version.support };
      if (version.ic !== PN532_IC) return done({ status: "fail", detail: `controller IC 0x${version.ic.toString(16)} is not a PN532`, values });
      return done({ status: "pass", detail: `PN532 firmware ${version.version}.${version.revision}`, values });
    }
    if (waited >= deadline) return done({ status: "fail", detail: `no GetFirmwareVersion answer within ${deadline} ms` });
    waited += POLL_MS;
    once(poll, POLL_MS);
  };
  poll();
};

const NAMES: Record<ButtonId, string> = { volumeUp: "VOLUME UP", volumeDown: "VOLUME DOWN", replay: "REPLAY", power: "POWER", function: "FUNCTION" };

const buttons: Check = ({ hal, limits, once, onButton, beep }, done) => {
  const available = hal.buttons.available;
  if (available.length === 0) return done({ status: "skip", detail: "no buttons" });
  const missing = new Set<ButtonId>(available);
  let finished = false;
  const show = () => {
    if (hal.display) drawPrompt(hal.display, "PRESS EACH BUTTON", Array.from(missing, (id) => NAMES[id]));
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    onButton(undefined);
    const pressed = available.filter((id) => !missing.has(id));
    const values = { pressed: pressed.slice(), missing: Array.from(missing) };
    if (missing.size === 0) done({ status: "pass", detail: `all ${available.length} pressed`, values });
    else done({ status: "fail", detail: `not pressed: ${Array.from(missing).join(", ")}`, values });
  };
  onButton((button, pressed) => {
    if (!pressed || !missing.delete(button)) return;
    beep(1500, 60);
    show();
    if (missing.size === 0) finish();
  });
  show();
  once(finish, limits.buttonsMs);
};

const battery: Check = ({ hal, limits }, done) => {
  const { batteryPercent, charging } = hal.power.status();
  const values = { pct: batteryPercent, chg: charging };
  if (batteryPercent >= limits.minBatteryPercent || charging) return done({ status: "pass", detail: `${batteryPercent} %${charging ? ", charging" : ""}`, values });
  done({ status: "fail", detail: `${batteryPercent} %, below ${limits.minBatteryPercent} % and not charging`, values });
};

const network: Check = ({ hal, limits, once, sessionReady }, done) => {
  let waited = 0;
  const poll = () => {
    const { link, rssi, reason } = hal.network.status();
    const values: CborMap = { link };
    if (rssi !== undefined) values.rssi = rssi;
    if (reason !== undefined) values.reason = reason;
    const weak = rssi !== undefined && rssi < limits.minRssi;
    if (link === "up" && !weak && sessionReady()) return done({ status: "pass", detail: `connected${rssi === undefined ? "" : ` at ${rssi} dBm`}`, values });
    if (waited >= limits.networkMs) {
      const why = link !== "up" ? `Wi-Fi link down${reason ? ` (${reason})` : ""}` : weak ? `signal ${rssi} dBm is below ${limits.minRssi} dBm` : "not connected and subscribed to the broker";
      return done({ status: "fail", detail: why, values });
    }
    waited += POLL_MS;
    once(poll, POLL_MS);
  };
  poll();
};

export const CHECKS: readonly (readonly [CheckName, Check])[] = [
  ["speaker", speaker],
  ["display", display],
  ["nfc", nfc],
  ["buttons", buttons],
  ["battery", battery],
  ["network", network],
];
