/**
 * payterm qr parse PAYLOAD: every field of an EMVCo code or UPI link as JSON; exit 1 naming the
 * broken rule(s). payterm qr make: builds a code with the firmware's own builders and renders
 * the screen the QR display would show for it, through the same screen code and framebuffer.
 */
import { writeFileSync } from "node:fs";
import { ManualClock, ManualTimers } from "../../hal/memory/clock";
import { RecordingLog } from "../../hal/memory/peripherals";
import { CHARGE_REFERENCE } from "../../firmware/payments/confirmation";
import { buildMpm, MpmError, mpmTemplate, parseMpm } from "../../firmware/qr/emvco";
import { buildUpi, parseUpi, UpiError, UPI_PARAMETERS } from "../../firmware/qr/upi";
import { ChargeRejection, UPI_CHARGE_KEYS, type EmvScheme, type ShowCharge, type UpiScheme } from "../../firmware/qr-display/charge-request";
import { chargeOffers } from "../../firmware/qr-display/offers";
import { QrDisplay, ScreenFitError } from "../../firmware/qr-display/qr-display";
import { FramebufferDisplay } from "../hal/framebuffer-display";
import { hostQrEncoder } from "../hal/qr-encoder";
import { amountArg, currencyArg, integerArg, MAX_EXPIRY_S, parseWithPositionals, UsageError } from "./args";
import type { Command } from "./command";

export interface ParsedCode {
  scheme: "emvco" | "upi";
  ok: boolean;
  fields: unknown;
  problems: { severity: string; rule: string; where: string; message: string }[];
}

/** Reads a payload as the scheme its first characters name. */
export function parseCode(payload: string): ParsedCode {
  if (payload.slice(0, 6).toLowerCase() === "upi://") {
    const parsed = parseUpi(payload);
    return {
      scheme: "upi",
      ok: parsed.ok,
      fields: { ...parsed.fields, ...(Object.keys(parsed.extra).length > 0 ? { extra: parsed.extra } : {}), signed: parsed.signed },
      problems: parsed.problems.map((p) => ({ severity: p.severity, rule: p.rule, where: p.param, message: p.message })),
    };
  }
  const parsed = parseMpm(payload);
  return { scheme: "emvco", ok: parsed.ok, fields: parsed.fields, problems: parsed.problems.map((p) => ({ severity: p.severity, rule: p.rule, where: p.path, message: p.message })) };
}

export interface Screen {
  width: number;
  height: number;
}

/** The frame the device shows for a charge offering `charge`'s codes (the first one on screen). */
export function renderCharge(charge: ShowCharge, screen: Screen, merchant: { vpa?: string; name?: string }): { payloads: string[]; display: FramebufferDisplay } {
  const offers = chargeOffers(charge, merchant);
  const clock = new ManualClock(charge.issuedAt);
  const display = new FramebufferDisplay(screen.width, screen.height);
  const qr = new QrDisplay({ display, qr: hostQrEncoder, timers: new ManualTimers(clock), clock, log: new RecordingLog(), merchantName: merchant.name });
  qr.setStatus({ online: true });
  qr.offerCharge(qr.prepareCharge({ reference: charge.reference, amountMinor: charge.amountMinor, currency: charge.currency, expiresAt: charge.expiresAt, offers }));
  return { payloads: offers.map((o) => o.payload), display };
}

/** The idle frame with `payload` as the merchant's static code. */
export function renderStatic(payload: string, screen: Screen, merchantName: string | undefined): FramebufferDisplay {
  const clock = new ManualClock();
  const display = new FramebufferDisplay(screen.width, screen.height);
  const log = new RecordingLog();
  const qr = new QrDisplay({ display, qr: hostQrEncoder, timers: new ManualTimers(clock), clock, log, staticPayload: payload, merchantName });
  qr.setStatus({ online: true });
  qr.showIdle();
  if (qr.state !== "idle") throw new ScreenFitError(String(log.named("merchant-qr")[0]?.fields.detail ?? "the static code cannot be shown"));
  return display;
}

function parseScreen(text: string): Screen {
  const match = /^(\d{2,4})x(\d{2,4})$/.exec(text);
  if (!match) throw new UsageError(`--screen must be WIDTHxHEIGHT, e.g. 240x320, got ${JSON.stringify(text)}`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

/** "01=value" pairs into a template's data objects. */
function pairs(items: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items ?? []) {
    const match = /^(\d\d)=(.+)$/s.exec(item);
    if (!match) throw new UsageError(`--${flag} takes ID=VALUE with a two-digit id, got ${JSON.stringify(item)}`);
    out[match[1]] = match[2];
  }
  return out;
}

const MAKE_OPTIONS = {
  scheme: { type: "string" },
  amount: { type: "string" },
  currency: { type: "string", default: "INR" },
  reference: { type: "string" },
  "expires-in": { type: "string", default: "300" },
  static: { type: "boolean", default: false },
  screen: { type: "string", default: "240x320" },
  png: { type: "string" },
  // UPI
  link: { type: "string" },
  ...Object.fromEntries(UPI_PARAMETERS.filter((p) => !["tr", "am", "cu", "sign"].includes(p)).map((p) => [p, { type: "string" }])),
  // EMVCo
  payload: { type: "string" },
  guid: { type: "string" },
  "account-data": { type: "string", multiple: true },
  account: { type: "string", multiple: true },
  mcc: { type: "string" },
  country: { type: "string" },
  name: { type: "string" },
  city: { type: "string" },
  postal: { type: "string" },
  label: { type: "string" },
} as const;

type MakeValues = Record<string, string | boolean | string[] | undefined>;

function text(values: MakeValues, key: string): string | undefined {
  const value = values[key];
  return typeof value === "string" ? value : undefined;
}

function emvScheme(v: MakeValues): EmvScheme {
  const payload = text(v, "payload");
  if (payload !== undefined) return { payload, accounts: {}, label: text(v, "label") };
  const accounts = pairs(v.account as string[] | undefined, "account");
  const guid = text(v, "guid");
  if (guid !== undefined) accounts["26"] = mpmTemplate(guid, pairs(v["account-data"] as string[] | undefined, "account-data"));
  if (Object.keys(accounts).length === 0) throw new UsageError("--scheme emvco needs --payload, or --guid (with --account-data 01=...) or --account ID=TEMPLATE");
  return { accounts, mcc: text(v, "mcc"), country: text(v, "country"), name: text(v, "name"), city: text(v, "city"), postalCode: text(v, "postal"), label: text(v, "label") };
}

function upiScheme(v: MakeValues): UpiScheme {
  const link = text(v, "link");
  const fields: UpiScheme["fields"] = {};
  for (const key of UPI_CHARGE_KEYS) {
    const value = text(v, key);
    if (value !== undefined) fields[key] = value;
  }
  return link === undefined ? { fields } : { link, fields: {} };
}

function staticCode(scheme: string, v: MakeValues): string {
  if (scheme === "upi") {
    const link = text(v, "link");
    if (link !== undefined) return link;
    return buildUpi({ ...upiScheme(v).fields, cu: "INR" });
  }
  const emv = emvScheme(v);
  if (emv.payload !== undefined) return emv.payload;
  return buildMpm({
    initiation: "static",
    accounts: Object.keys(emv.accounts).map((id) => ({ id, value: emv.accounts[id] })),
    merchantCategoryCode: emv.mcc ?? "",
    currency: text(v, "currency") ?? "INR",
    country: emv.country ?? "",
    merchantName: emv.name ?? "",
    merchantCity: emv.city ?? "",
    postalCode: emv.postalCode,
  });
}

async function make(args: string[]): Promise<number> {
  const { values: v } = parseWithPositionals(args, MAKE_OPTIONS);
  const scheme = text(v, "scheme");
  if (scheme !== "emvco" && scheme !== "upi") throw new UsageError("--scheme must be emvco or upi");
  const screen = parseScreen(text(v, "screen") as string);
  const png = text(v, "png");
  try {
    if (v.static) {
      const payload = staticCode(scheme, v);
      const display = renderStatic(payload, screen, text(v, "name") ?? text(v, "pn"));
      if (png) writeFileSync(png, display.toPng());
      console.log(payload);
      return 0;
    }
    const currency = currencyArg(text(v, "currency") as string);
    const amountText = text(v, "amount");
    if (amountText === undefined) throw new UsageError("--amount is required (or --static for a code without one)");
    const amountMinor = amountArg(amountText, currency);
    const reference = text(v, "reference") ?? `QR${Date.now().toString(36).toUpperCase()}`;
    if (!CHARGE_REFERENCE.test(reference)) throw new UsageError(`--reference must be 1-25 of [A-Za-z0-9._-], got ${JSON.stringify(reference)}`);
    const expiresIn = integerArg(text(v, "expires-in"), "--expires-in (seconds)", 1, MAX_EXPIRY_S) as number;
    const now = Date.now();
    const charge: ShowCharge = {
      op: "show",
      reference,
      amountMinor,
      currency: currency.code,
      issuedAt: now,
      expiresAt: now + expiresIn * 1000,
      deviceId: "cli",
      upi: scheme === "upi" ? upiScheme(v) : undefined,
      emv: scheme === "emvco" ? emvScheme(v) : undefined,
    };
    const { payloads, display } = renderCharge(charge, screen, { vpa: text(v, "pa"), name: text(v, "name") ?? text(v, "pn") });
    if (png) writeFileSync(png, display.toPng());
    console.log(payloads[0]);
    return 0;
  } catch (error) {
    if (error instanceof ChargeRejection || error instanceof ScreenFitError || error instanceof MpmError || error instanceof UpiError) {
      console.error(`payterm: ${error instanceof ChargeRejection ? `${error.reason}: ${error.detail}` : error.message}`);
      return 1;
    }
    throw error;
  }
}

function parse(args: string[]): number {
  const { positionals } = parseWithPositionals(args, {});
  if (positionals.length !== 1) throw new UsageError("qr parse takes exactly one PAYLOAD (quote it)");
  const result = parseCode(positionals[0]);
  console.log(JSON.stringify(result, null, 2));
  if (result.ok) return 0;
  for (const p of result.problems.filter((p) => p.severity === "error")) console.error(`payterm: ${p.where || "payload"}: ${p.message} [${p.rule}]`);
  return 1;
}

export const qrCommand: Command = {
  name: "qr",
  usage: [
    "payterm qr parse PAYLOAD",
    "payterm qr make --scheme upi --amount DECIMAL --pa VPA --pn NAME [--tn NOTE --mc MCC ...] [--reference REF] [--screen 240x320] [--png FILE]",
    "payterm qr make --scheme upi --amount DECIMAL --link 'upi://pay?...'  (a PSP's link, shown as given)",
    "payterm qr make --scheme emvco --amount DECIMAL [--currency ISO4217] --guid GUID --account-data 01=VALUE --mcc MCC --country CC --name NAME --city CITY [--label TEXT] [--png FILE]",
    "payterm qr make --scheme emvco|upi --static ...  (the idle screen's code, no amount)",
  ],
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === "parse") return parse(rest);
    if (sub === "make") return make(rest);
    throw new UsageError("qr takes parse or make");
  },
};
