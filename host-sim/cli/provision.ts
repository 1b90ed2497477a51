/**
 * `payterm provision`: device identities, NVS images and the operator's files for a batch
 * (host-sim/provision/provision.ts does the work; docs/manufacturing.md explains the outputs).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { projectRoot } from "../paths";
import { InputError, LedgerError, provision, ProvisionError, type ProvisionRequest, type ProvisionSummary } from "../provision/provision";
import { PRODUCTS, type AuthMode } from "../provision/model";
import { readP256PublicKey } from "../provision/p256-key";
import { progressOn } from "../provision/progress";
import { wifiPskProblem, wifiSsidProblem } from "../provision/wifi";
import type { WifiSettings } from "../../hal/network";
import { integerArg, parseFlags, UsageError } from "./args";
import type { Command } from "./command";

export const DEFAULT_PARTITION_TABLE = join(projectRoot, "hal", "moddable", "partitions.csv");
const CHIPS = ["esp32", "esp32s2", "esp32s3", "esp32c3", "esp32c6"];
/** Where the Wi-Fi passphrase comes from when neither --wifi-psk-file nor --wifi-psk gives it. */
export const WIFI_PSK_ENV = "PAYTERM_WIFI_PSK";

function readInput(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`--${flag} ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
}

/**
 * The batch's network from --wifi-ssid and one of: --wifi-psk-file (its first line),
 * PAYTERM_WIFI_PSK, --wifi-psk (seen by every user of the machine, as `release publish
 * --password` is), or --wifi-open. Messages name where a bad passphrase came from, never what it is.
 */
function wifiArgs(o: { "wifi-ssid"?: string; "wifi-psk"?: string; "wifi-psk-file"?: string; "wifi-open"?: boolean }): WifiSettings | undefined {
  const given = [o["wifi-psk-file"] !== undefined && "--wifi-psk-file", o["wifi-psk"] !== undefined && "--wifi-psk", o["wifi-open"] && "--wifi-open"].filter(
    (flag): flag is string => typeof flag === "string",
  );
  if (given.length > 1) throw new UsageError(`give one of --wifi-psk-file, --wifi-psk and --wifi-open, not ${given.join(" and ")}`);
  const ssid = o["wifi-ssid"];
  if (ssid === undefined) {
    if (given.length > 0) throw new UsageError(`${given[0]} is for the network --wifi-ssid names: add --wifi-ssid NAME`);
    return undefined;
  }
  const ssidProblem = wifiSsidProblem(ssid);
  if (ssidProblem) throw new UsageError(`--wifi-ssid ${ssidProblem}`);
  if (o["wifi-open"]) return { ssid, psk: "" };
  let psk: string | undefined;
  let source: string;
  if (o["wifi-psk-file"] !== undefined) {
    psk = readInput(o["wifi-psk-file"], "wifi-psk-file").split(/\r?\n/)[0];
    source = `--wifi-psk-file ${o["wifi-psk-file"]}`;
  } else if (o["wifi-psk"] !== undefined) {
    psk = o["wifi-psk"];
    source = "--wifi-psk";
  } else {
    psk = process.env[WIFI_PSK_ENV];
    source = WIFI_PSK_ENV;
  }
  if (psk === undefined)
    throw new UsageError(`--wifi-ssid needs the network's passphrase: --wifi-psk-file FILE, ${WIFI_PSK_ENV}, or --wifi-psk; or --wifi-open for an open network`);
  const pskProblem = wifiPskProblem(psk);
  if (pskProblem) throw new UsageError(`the Wi-Fi passphrase from ${source} ${pskProblem}`);
  return { ssid, psk };
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function report(summary: ProvisionSummary): string {
  const lines = [
    `${summary.devices} device${summary.devices === 1 ? "" : "s"} in ${summary.out}: ${summary.created.length} new, ${summary.kept.length} kept, ${summary.rotated.length} rotated${summary.rebound.length ? `, ${summary.rebound.length} with changed settings` : ""}`,
    `files: ${summary.files.created} created, ${summary.files.updated} updated, ${summary.files.unchanged} unchanged`,
    `NVS partition at ${hex(summary.nvs.offset)}, ${hex(summary.nvs.size)} bytes: flash/commands.txt, or flash/flash.sh DEVICE_ID PORT`,
  ];
  const { wifi } = summary;
  if (wifi.devices > 0 || summary.wifiChanged.length > 0)
    lines.push(
      `Wi-Fi: ${wifi.devices} of ${summary.devices} device${summary.devices === 1 ? "" : "s"} join a network (${wifi.networks} SSID${wifi.networks === 1 ? "" : "s"}${wifi.open ? `, ${wifi.open} open` : ""})` +
        (summary.wifiChanged.length
          ? `; ${summary.wifiChanged.length} image${summary.wifiChanged.length === 1 ? "" : "s"} changed: reflash ${summary.wifiChanged.length === 1 ? "it" : "them"}, or give devices already in the field a signed provisioning tag (payterm nfc sign-tag)`
          : ""),
    );
  for (const warning of summary.warnings) lines.push(`warning: ${warning}`);
  return lines.join("\n");
}

export const provisionCommand: Command = {
  name: "provision",
  usage: [
    "payterm provision --out DIR (--count N --product soundbox|qr-display | --csv MERCHANTS.csv) --broker mqtt[s]://HOST:PORT",
    "                  [--lang CODE] [--tls [--ca-cert FILE --ca-key FILE] [--server-name HOST]...] [--broker-ca FILE]",
    "                  [--release-key release.pub.hex] [--nfc-key FILE] [--rotate] [--partitions FILE] [--chip esp32] [--baud N]",
    "                  [--id-prefix pt] [--service-user NAME] [--release-user NAME] [--keepalive S] [--cert-days N]",
    `                  [--wifi-ssid NAME (--wifi-psk-file FILE | $${WIFI_PSK_ENV} | --wifi-psk P | --wifi-open)]`,
  ],
  async run(args) {
    const o = parseFlags(args, {
      out: { type: "string" },
      count: { type: "string" },
      product: { type: "string" },
      csv: { type: "string" },
      lang: { type: "string" },
      broker: { type: "string" },
      tls: { type: "boolean" },
      auth: { type: "string" },
      "ca-cert": { type: "string" },
      "ca-key": { type: "string" },
      "broker-ca": { type: "string" },
      "server-name": { type: "string", multiple: true },
      rotate: { type: "boolean", default: false },
      partitions: { type: "string" },
      chip: { type: "string", default: "esp32" },
      baud: { type: "string" },
      "id-prefix": { type: "string" },
      "service-user": { type: "string" },
      "release-user": { type: "string" },
      keepalive: { type: "string" },
      "cert-days": { type: "string" },
      "release-key": { type: "string" },
      "nfc-key": { type: "string" },
      "wifi-ssid": { type: "string" },
      "wifi-psk": { type: "string" },
      "wifi-psk-file": { type: "string" },
      "wifi-open": { type: "boolean" },
    });
    if (!o.out) throw new UsageError("--out DIR is required: where the batch's files go (created with mode 0700)");
    if (o.csv && o.count) throw new UsageError("use --count or --csv, not both");
    if (!o.csv && !o.count) throw new UsageError("say what to make: --count N --product P, or --csv MERCHANTS.csv");
    const product = o.product === undefined ? undefined : PRODUCTS.find((p) => p === o.product);
    if (o.product !== undefined && !product) throw new UsageError(`--product must be one of ${PRODUCTS.join(", ")}, got ${JSON.stringify(o.product)}`);
    if (o.count && !product) throw new UsageError("--count needs --product soundbox or --product qr-display");
    if (o.auth !== undefined && o.auth !== "password" && o.auth !== "tls") throw new UsageError(`--auth must be password or tls, got ${JSON.stringify(o.auth)}`);
    if (o.tls && o.auth === "password") throw new UsageError("--tls and --auth password contradict each other");
    const auth: AuthMode | undefined = o.tls ? "tls" : (o.auth as AuthMode | undefined);
    if (Boolean(o["ca-cert"]) !== Boolean(o["ca-key"])) throw new UsageError("--ca-cert and --ca-key go together");
    if (o["ca-cert"] && auth !== "tls") throw new UsageError("--ca-cert issues client certificates: it needs --tls");
    if (!CHIPS.includes(o.chip)) throw new UsageError(`--chip must be one of ${CHIPS.join(", ")}, got ${JSON.stringify(o.chip)}`);
    const partitions = o.partitions ?? DEFAULT_PARTITION_TABLE;
    const publicKey = (flag: "release-key" | "nfc-key") => {
      const file = o[flag];
      if (file === undefined) return undefined;
      try {
        return readP256PublicKey(readInput(file, flag), `--${flag} ${file}`);
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError((error as Error).message);
      }
    };

    const request: ProvisionRequest = {
      out: resolve(o.out),
      count: integerArg(o.count, "--count", 1, 100_000),
      product,
      merchants: o.csv ? { source: o.csv, text: readInput(o.csv, "csv") } : undefined,
      language: o.lang,
      brokerUrl: o.broker,
      auth,
      ca: o["ca-cert"] && o["ca-key"] ? { certificatePem: readInput(o["ca-cert"], "ca-cert"), privateKeyPem: readInput(o["ca-key"], "ca-key"), source: o["ca-cert"] } : undefined,
      brokerCaPem: o["broker-ca"] ? readInput(o["broker-ca"], "broker-ca") : undefined,
      serverNames: o["server-name"],
      rotate: o.rotate,
      partitionTable: { text: readInput(partitions, "partitions"), source: partitions },
      chip: o.chip,
      baud: integerArg(o.baud, "--baud", 9600, 5_000_000) ?? 921_600,
      idPrefix: o["id-prefix"],
      serviceUser: o["service-user"],
      releaseUser: o["release-user"],
      releaseKey: publicKey("release-key"),
      nfcKey: publicKey("nfc-key"),
      wifi: wifiArgs(o),
      keepalive: integerArg(o.keepalive, "--keepalive", 10, 1200) ?? 60,
      certificateDays: integerArg(o["cert-days"], "--cert-days", 1, 36_500) ?? 3650,
      now: new Date(),
      progress: progressOn(process.stderr),
    };
    try {
      console.log(report(await provision(request)));
      return 0;
    } catch (error) {
      // Arguments that do not fit the batch exit 2 like other usage errors; bad input files exit 1.
      if (error instanceof ProvisionError || error instanceof InputError || error instanceof LedgerError) {
        console.error(`payterm provision: ${error.message}`);
        return error instanceof ProvisionError ? 2 : 1;
      }
      throw error;
    }
  },
};
