/**
 * The merchants CSV: one row per device to make, bound to a merchant. Every row is checked before
 * anything is written, and every problem is reported with its row (the file's line, as a
 * spreadsheet numbers it, header = row 1), so one run shows all there is to fix.
 *
 * Columns (header names are case-insensitive; only merchant_id and name are required):
 *   merchant_id  the merchant's id in the operator's systems, [A-Za-z0-9._-], 1-40
 *   name         the merchant's name as payers see it, 1-99 characters
 *   product      soundbox | qr-display (default: --product)
 *   language     voice language code, e.g. en-in (default: --lang)
 *   vpa          UPI VPA for the static QR (upi://pay?pa=...)
 *   mcc          merchant category code, 4 digits
 *   emvco        an EMVCo merchant-presented static payload, CRC included, instead of a VPA
 *   device_id    a fixed device id (e.g. one printed on the case already); otherwise one is made
 *   wifi_ssid    the shop's Wi-Fi network (default: --wifi-ssid), taken as written, spaces included
 *   wifi_psk     its WPA2 passphrase (default: the batch's), taken as written
 *   wifi_open    "yes": the network is open, no passphrase
 */
import type { WifiSettings } from "../../hal/network";
import type { Product } from "../../hal/system";
import { isValidDeviceId } from "../../firmware/protocol/topics";
import { languageFor } from "../../firmware/voice/languages";
import { parseCsv, CsvError } from "./csv";
import { merchantQrPayload } from "./merchant-qr";
import { PRODUCTS, type MerchantBinding } from "./model";
import { deviceWifi, wifiPskProblem, wifiSsidProblem, type WifiOverride } from "./wifi";

export interface MerchantRow {
  /** Spreadsheet row number (file line where the record starts). */
  row: number;
  product: Product;
  language: string;
  deviceId?: string;
  merchant: MerchantBinding;
  wifi?: WifiOverride;
}

export interface RowDefaults {
  product?: Product;
  language: string;
  /** The batch's network, which rows complete or replace. */
  wifi?: WifiSettings;
}

export class InputError extends Error {
  constructor(readonly problems: readonly string[], source: string) {
    super(`${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"}, nothing was written\n  ${problems.join("\n  ")}`);
    this.name = "InputError";
  }
}

const COLUMNS = ["merchant_id", "name", "product", "language", "vpa", "mcc", "emvco", "device_id", "wifi_ssid", "wifi_psk", "wifi_open"] as const;
type Column = (typeof COLUMNS)[number];

const MERCHANT_ID = /^[A-Za-z0-9._-]{1,40}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkLanguage(code: string): string | undefined {
  return languageFor(code) ? undefined : `language ${JSON.stringify(code)} has no voice in this firmware`;
}

export function parseMerchants(text: string, source: string, defaults: RowDefaults): MerchantRow[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvError) throw new InputError([`row ${error.line}: ${error.message.replace(/^line \d+: /, "")}`], source);
    throw error;
  }
  if (records.length === 0) throw new InputError(["the file is empty (a header row naming the columns comes first)"], source);
  const [header, ...rows] = records;
  const problems: string[] = [];
  const index = new Map<Column, number>();
  header.fields.forEach((raw, i) => {
    const name = raw.trim().toLowerCase() as Column;
    if (!COLUMNS.includes(name)) problems.push(`row ${header.line}: unknown column ${JSON.stringify(raw)} (known: ${COLUMNS.join(", ")})`);
    else if (index.has(name)) problems.push(`row ${header.line}: column ${name} appears twice`);
    else index.set(name, i);
  });
  for (const required of ["merchant_id", "name"] as const)
    if (!index.has(required)) problems.push(`row ${header.line}: the required column ${required} is missing`);
  if (problems.length > 0) throw new InputError(problems, source);
  if (rows.length === 0) throw new InputError([`row ${header.line}: a header and no merchants`], source);

  const out: MerchantRow[] = [];
  const slots = new Map<string, number>();
  for (const { line, fields } of rows) {
    const rowProblems: string[] = [];
    const problem = (message: string) => rowProblems.push(`row ${line}: ${message}`);
    if (fields.length !== header.fields.length) {
      problems.push(`row ${line}: ${fields.length} fields, the header has ${header.fields.length}`);
      continue;
    }
    const verbatim = (column: Column): string => {
      const i = index.get(column);
      return i === undefined ? "" : fields[i];
    };
    const get = (column: Column): string => verbatim(column).trim();
    const merchantId = get("merchant_id");
    if (!MERCHANT_ID.test(merchantId)) problem(`merchant_id ${JSON.stringify(merchantId)} must be 1-40 of A-Z a-z 0-9 . _ -`);
    const name = get("name");
    if (name.length === 0 || name.length > 99 || CONTROL.test(name)) problem(`name must be 1-99 printable characters, got ${JSON.stringify(name)}`);
    const productText = get("product");
    const product = productText === "" ? defaults.product : PRODUCTS.find((p) => p === productText.toLowerCase());
    if (!product) problem(productText === "" ? "no product (give a product column or --product)" : `product ${JSON.stringify(productText)} is not one of ${PRODUCTS.join(", ")}`);
    const language = get("language").toLowerCase() || defaults.language;
    const languageProblem = checkLanguage(language);
    if (languageProblem) problem(languageProblem);
    const deviceId = get("device_id") || undefined;
    if (deviceId !== undefined && !isValidDeviceId(deviceId)) problem(`device_id ${JSON.stringify(deviceId)} must be 1-64 of A-Z a-z 0-9 _ -`);

    const merchant: MerchantBinding = { id: merchantId, name };
    const vpa = get("vpa");
    const mcc = get("mcc");
    const emvco = get("emvco");
    if (vpa) merchant.vpa = vpa;
    if (mcc) merchant.mcc = mcc;
    if (emvco) merchant.emvco = emvco;
    if (vpa && emvco) problem("give either vpa (UPI) or emvco, not both: a device shows one static QR");
    else if (vpa || emvco) {
      try {
        merchantQrPayload(merchant);
      } catch (error) {
        problem((error as Error).message);
      }
    } else if (product === "qr-display") problem("a qr-display needs a vpa or an emvco payload for its static QR");

    const wifi = rowWifi(verbatim("wifi_ssid"), verbatim("wifi_psk"), get("wifi_open"), defaults.wifi, problem);

    if (product) {
      const slot = deviceId ? `device:${deviceId}` : `merchant:${merchantId}:${product}`;
      const earlier = slots.get(slot);
      if (earlier !== undefined)
        problem(deviceId ? `device_id ${deviceId} is already used on row ${earlier}` : `merchant ${merchantId} already has a ${product} on row ${earlier} (give each a device_id to make more than one)`);
      else slots.set(slot, line);
    }
    if (rowProblems.length > 0) {
      problems.push(...rowProblems);
      continue;
    }
    const row: MerchantRow = { row: line, product: product as Product, language, deviceId, merchant };
    if (wifi) row.wifi = wifi;
    out.push(row);
  }
  if (problems.length > 0) throw new InputError(problems, source);
  return out;
}

/**
 * A row's Wi-Fi cells: spaces are part of a network's name and passphrase, so neither is trimmed.
 * The passphrase is never quoted in a problem.
 */
function rowWifi(ssid: string, psk: string, open: string, batch: WifiSettings | undefined, problem: (message: string) => void): WifiOverride | undefined {
  const own: WifiOverride = {};
  let fine = true;
  const refuse = (message: string) => {
    problem(message);
    fine = false;
  };
  if (ssid !== "") {
    const why = wifiSsidProblem(ssid);
    if (why) refuse(`wifi_ssid ${JSON.stringify(ssid)} ${why}`);
    own.ssid = ssid;
  }
  if (open !== "" && open.toLowerCase() !== "yes") refuse(`wifi_open must be yes or empty, got ${JSON.stringify(open)}`);
  else if (open !== "") {
    if (psk !== "") refuse("wifi_open yes and a wifi_psk contradict each other: an open network has no passphrase");
    own.psk = "";
  }
  if (psk !== "" && open === "") {
    const why = wifiPskProblem(psk);
    if (why) refuse(`wifi_psk ${why}`);
    own.psk = psk;
  }
  if (own.ssid === undefined && own.psk === undefined) return undefined;
  if (fine)
    try {
      deviceWifi(batch, own);
    } catch (error) {
      problem((error as Error).message);
    }
  return own;
}
