/**
 * `payterm provision`: turns a request (a count of devices, or a merchants CSV) into identities
 * and the files a factory and an operator need. Order of work, so that a failure at any point
 * leaves a consistent directory:
 *
 *   check every input -> reconcile with the ledger -> make secrets and certificates (in memory)
 *   -> write the ledger -> derive every other file from it
 *
 * Nothing is written until every input has been checked; the ledger is written before the files
 * derived from it, so a run cut short is completed by running it again, which rebuilds the same
 * files from the same identities.
 */
import { availableParallelism } from "node:os";
import type { WifiSettings } from "../../hal/network";
import type { Product } from "../../hal/system";
import { backendCsv, backendDevice, backendJson } from "./backend";
import { writeBrokerFiles } from "./broker-files";
import { parseBrokerUrl, type BrokerAddress } from "./broker-url";
import { deviceDomains, type DeviceNvsOptions } from "./device-nvs";
import { OutputDir, type WriteOutcome } from "./files";
import { flashCommands, flashScript, nvsImagePath, type FlashTarget } from "./flash";
import { ID_PREFIX, newDeviceId, newHmacKeyHex, newPassword, nextKeyId } from "./identity";
import { LedgerError, readLedger, writeLedger, LEDGER_FILE } from "./ledger";
import { InputError, checkLanguage, parseMerchants, type MerchantRow } from "./merchants";
import type { AuthMode, BrokerCredentials, DeviceRecord, Ledger, MerchantBinding } from "./model";
import { hashPassword } from "./mosquitto";
import { encodeKvCsv, encodeKvImage } from "./nvs/kv-image";
import { nvsPartition, parsePartitionTable } from "./partition-table";
import type { Progress } from "./progress";
import { writeStickers, type StickerJob } from "./stickers";
import type { CertificateAuthority } from "./tls/certificates";
import { deviceWifi, sameWifi, wifiSettingsProblem, type WifiOverride } from "./wifi";

/** The X.509 code loads only for TLS batches: it takes longer to load than a password batch takes to make. */
const tlsTools = () => import("./tls/certificates");

export class ProvisionError extends Error {}

export interface ProvisionRequest {
  out: string;
  /** --count N --product P: N devices of P bound to no merchant. */
  count?: number;
  product?: Product;
  /** --csv FILE: one device per row, bound to the row's merchant. */
  merchants?: { source: string; text: string };
  language?: string;
  brokerUrl?: string;
  auth?: AuthMode;
  /** The operator CA (PEM certificate and PKCS#8 key); without them a CA is made and kept in the output. */
  ca?: { certificatePem: string; privateKeyPem: string; source: string };
  /** The CA devices trust for the broker's certificate, when it is not the operator CA. */
  brokerCaPem?: string;
  /** Host names and addresses for a broker certificate issued by the operator CA. */
  serverNames?: string[];
  rotate: boolean;
  partitionTable: { text: string; source: string };
  chip: string;
  baud: number;
  idPrefix?: string;
  serviceUser?: string;
  /** The release publisher's account name, default payterm-release. */
  releaseUser?: string;
  /** Uncompressed P-256 points (readP256PublicKey) for config/updKey and config/opKey; kept from the ledger when absent. */
  releaseKey?: Uint8Array;
  nfcKey?: Uint8Array;
  /** The network every device joins unless its CSV row names its own (psk "" for an open one); kept from the ledger when absent. */
  wifi?: WifiSettings;
  keepalive: number;
  certificateDays: number;
  now: Date;
  progress: Progress;
}

export interface ProvisionSummary {
  out: string;
  devices: number;
  created: string[];
  kept: string[];
  rotated: string[];
  /** Kept identities whose merchant, language or product settings changed. */
  rebound: string[];
  /** Devices already in the batch whose image names another Wi-Fi network or passphrase than before. */
  wifiChanged: string[];
  /** Devices whose image names a network, how many distinct networks, and how many devices join an open one. */
  wifi: { devices: number; networks: number; open: number };
  files: Record<WriteOutcome, number>;
  warnings: string[];
  nvs: { offset: number; size: number };
}

interface Slot {
  key: string;
  product: Product;
  language: string;
  deviceId?: string;
  merchant?: MerchantBinding;
  wifi?: WifiOverride;
  row?: number;
}

const DEFAULT_LANGUAGE = "en-in";
const DEFAULT_SERVICE_USER = "payterm-service";
const DEFAULT_RELEASE_USER = "payterm-release";
const ACCOUNT_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const CA_KEY_FILE = "ca/ca.key";

function slotsFromRequest(request: ProvisionRequest, language: string, wifi: WifiSettings | undefined): Slot[] {
  if (request.merchants) {
    const rows: MerchantRow[] = parseMerchants(request.merchants.text, request.merchants.source, { product: request.product, language, wifi });
    return rows.map((row) => ({
      key: row.deviceId ? `device:${row.deviceId}` : `merchant:${row.merchant.id}:${row.product}`,
      product: row.product,
      language: row.language,
      deviceId: row.deviceId,
      merchant: row.merchant,
      wifi: row.wifi,
      row: row.row,
    }));
  }
  const { count, product } = request;
  if (count === undefined || product === undefined) throw new ProvisionError("give --count N with --product, or --csv FILE");
  return Array.from({ length: count }, (_, i) => ({ key: `unbound:${product}:${i + 1}`, product, language }));
}

function releaseUserOf(ledger: Ledger): string {
  return ledger.settings.releaseUser ?? DEFAULT_RELEASE_USER;
}

function sameMerchant(a: MerchantBinding | undefined, b: MerchantBinding | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The network a device's image names, or undefined when the ledger leaves it incomplete. */
function wifiOf(settings: Ledger["settings"], device: DeviceRecord): WifiSettings | undefined {
  try {
    return deviceWifi(settings.wifi, device.wifi);
  } catch {
    return undefined;
  }
}

class Batch {
  readonly out: OutputDir;
  readonly summary: ProvisionSummary;
  ledger!: Ledger;
  broker!: BrokerAddress;
  ca: CertificateAuthority | undefined;
  /** Devices whose broker credentials must be made afresh this run. */
  readonly fresh = new Set<DeviceRecord>();
  freshService = false;
  freshRelease = false;
  /** A CA made this run: its key is written with the ledger that names it. */
  pendingCaKey: string | undefined;
  /** Each device's network as the previous run left it, to tell which images change. */
  readonly previousWifi = new Map<string, WifiSettings | undefined>();

  constructor(readonly request: ProvisionRequest) {
    this.out = new OutputDir(request.out);
    this.summary = {
      out: request.out,
      devices: 0,
      created: [],
      kept: [],
      rotated: [],
      rebound: [],
      wifiChanged: [],
      wifi: { devices: 0, networks: 0, open: 0 },
      files: { created: 0, updated: 0, unchanged: 0 },
      warnings: [],
      nvs: { offset: 0, size: 0 },
    };
  }

  /** Settings from the request, falling back to the ledger's; refuses changes that would change identities without --rotate. */
  settle(previous: Ledger | undefined): void {
    const r = this.request;
    const brokerUrl = r.brokerUrl ?? previous?.settings.brokerUrl;
    if (!brokerUrl) throw new ProvisionError("--broker URL is required for a new batch (e.g. mqtts://mqtt.example.com:8883)");
    try {
      this.broker = parseBrokerUrl(brokerUrl);
    } catch (error) {
      throw new ProvisionError(`--broker: ${(error as Error).message}`);
    }
    const auth = r.auth ?? previous?.settings.auth ?? "password";
    if (previous && previous.settings.auth !== auth && !r.rotate)
      throw new ProvisionError(`this batch authenticates with ${previous.settings.auth}; switching to ${auth} replaces every credential: add --rotate`);
    if (auth === "tls" && !this.broker.tls) throw new ProvisionError(`client certificates need a TLS broker: use mqtts:// instead of ${brokerUrl}`);
    const idPrefix = r.idPrefix ?? previous?.settings.idPrefix ?? "pt";
    if (!ID_PREFIX.test(idPrefix)) throw new ProvisionError(`--id-prefix must be 1-8 of a-z 0-9, got ${JSON.stringify(idPrefix)}`);
    const serviceUser = r.serviceUser ?? previous?.settings.serviceUser ?? DEFAULT_SERVICE_USER;
    if (!ACCOUNT_NAME.test(serviceUser)) throw new ProvisionError(`--service-user must be 1-64 of A-Z a-z 0-9 . _ -, got ${JSON.stringify(serviceUser)}`);
    if (previous && previous.settings.serviceUser !== serviceUser && !r.rotate)
      throw new ProvisionError(`the service account is ${previous.settings.serviceUser}; renaming it replaces its credentials: add --rotate`);
    const releaseUser = r.releaseUser ?? previous?.settings.releaseUser ?? DEFAULT_RELEASE_USER;
    if (!ACCOUNT_NAME.test(releaseUser)) throw new ProvisionError(`--release-user must be 1-64 of A-Z a-z 0-9 . _ -, got ${JSON.stringify(releaseUser)}`);
    if (releaseUser === serviceUser) throw new ProvisionError(`the release publisher and the payment service need accounts of their own, both are ${releaseUser}`);
    if (previous?.settings.releaseUser && previous.settings.releaseUser !== releaseUser && !r.rotate)
      throw new ProvisionError(`the release account is ${previous.settings.releaseUser}; renaming it replaces its credentials: add --rotate`);
    const hex = (key: Uint8Array | undefined) => (key ? Buffer.from(key).toString("hex") : undefined);
    const settings: Ledger["settings"] = { brokerUrl, auth, idPrefix, serviceUser, releaseUser };
    const releaseKeyHex = hex(r.releaseKey) ?? previous?.settings.releaseKeyHex;
    const nfcKeyHex = hex(r.nfcKey) ?? previous?.settings.nfcKeyHex;
    if (releaseKeyHex) settings.releaseKeyHex = releaseKeyHex;
    if (nfcKeyHex) settings.nfcKeyHex = nfcKeyHex;
    if (r.wifi) {
      const problem = wifiSettingsProblem(r.wifi);
      if (problem) throw new ProvisionError(`Wi-Fi: ${problem}`);
    }
    // Not a rotation: the network is the shop's, not part of any identity, so a new one changes the images only.
    const wifi = r.wifi ?? previous?.settings.wifi;
    if (wifi) settings.wifi = { ssid: wifi.ssid, psk: wifi.psk };
    if (previous) for (const device of previous.devices) this.previousWifi.set(device.deviceId, wifiOf(previous.settings, device));
    this.ledger = {
      format: 1,
      settings,
      service: previous?.service ?? { username: serviceUser },
      // Ledgers from before the release account get one on their next run.
      release: previous?.release ?? { username: releaseUser },
      // A batch that moves to passwords has no use for its CA or broker certificate any more.
      ca: auth === "tls" ? previous?.ca : undefined,
      server: auth === "tls" ? previous?.server : undefined,
      devices: previous ? [...previous.devices] : [],
    };
    if (this.ledger.service.username !== serviceUser) {
      this.ledger.service = { username: serviceUser };
      this.freshService = true;
    }
    if (!this.hasCredentials(this.ledger.service)) this.freshService = true;
    if (r.rotate) this.freshService = true;
    const release = this.ledger.release as BrokerCredentials;
    if (release.username !== releaseUser || !this.hasCredentials(release) || r.rotate) {
      this.ledger.release = { username: releaseUser };
      this.freshRelease = true;
    }
  }

  hasCredentials(credentials: BrokerCredentials): boolean {
    return this.ledger.settings.auth === "password"
      ? credentials.password !== undefined && credentials.passwordHash !== undefined
      : credentials.certificate !== undefined && credentials.privateKey !== undefined;
  }

  reconcile(slots: Slot[]): void {
    const r = this.request;
    const bySlot = new Map(this.ledger.devices.map((d) => [d.slot, d]));
    const byId = new Map(this.ledger.devices.map((d) => [d.deviceId, d]));
    const problems: string[] = [];
    for (const slot of slots) {
      const where = slot.row === undefined ? "" : `row ${slot.row}: `;
      if (slot.deviceId && !bySlot.has(slot.key) && byId.has(slot.deviceId))
        problems.push(`${where}device_id ${slot.deviceId} already belongs to ${(byId.get(slot.deviceId) as DeviceRecord).slot}`);
    }
    if (problems.length > 0) throw new InputError(problems, r.merchants?.source ?? "request");

    const now = r.now.toISOString();
    const taken = new Set(byId.keys());
    for (const slot of slots) {
      const existing = bySlot.get(slot.key);
      if (!existing) {
        const deviceId = slot.deviceId ?? newDeviceId(this.ledger.settings.idPrefix, slot.product, taken);
        taken.add(deviceId);
        const device: DeviceRecord = {
          deviceId,
          product: slot.product,
          language: slot.language,
          slot: slot.key,
          keyId: nextKeyId(undefined),
          keyHex: newHmacKeyHex(),
          mqtt: { username: deviceId },
          createdAt: now,
        };
        if (slot.merchant) device.merchant = slot.merchant;
        if (slot.wifi) device.wifi = slot.wifi;
        this.ledger.devices.push(device);
        this.fresh.add(device);
        this.summary.created.push(deviceId);
        continue;
      }
      if (existing.language !== slot.language || !sameMerchant(existing.merchant, slot.merchant)) {
        existing.language = slot.language;
        if (slot.merchant) existing.merchant = slot.merchant;
        else delete existing.merchant;
        this.summary.rebound.push(existing.deviceId);
      }
      // Reported by countWifi, which compares each device's resulting network with the last run's.
      if (slot.wifi) existing.wifi = slot.wifi;
      else delete existing.wifi;
      if (r.rotate) {
        existing.keyId = nextKeyId(existing.keyId);
        existing.keyHex = newHmacKeyHex();
        existing.mqtt = { username: existing.deviceId };
        existing.rotatedAt = now;
        this.fresh.add(existing);
        this.summary.rotated.push(existing.deviceId);
      } else {
        if (!this.hasCredentials(existing.mqtt)) this.fresh.add(existing);
        this.summary.kept.push(existing.deviceId);
      }
    }
    const requested = new Set(slots.map((s) => s.key));
    const others = this.ledger.devices.filter((d) => !requested.has(d.slot));
    if (others.length > 0)
      this.summary.warnings.push(`${others.length} device${others.length === 1 ? "" : "s"} of this batch not named in this run kept as they were (they stay in every output)`);
    if (r.rotate)
      for (const device of others) {
        device.keyId = nextKeyId(device.keyId);
        device.keyHex = newHmacKeyHex();
        device.mqtt = { username: device.deviceId };
        device.rotatedAt = now;
        this.fresh.add(device);
        this.summary.rotated.push(device.deviceId);
      }
    this.summary.devices = this.ledger.devices.length;
    this.countWifi();
  }

  countWifi(): void {
    const networks = new Set<string>();
    const { wifi } = this.summary;
    for (const device of this.ledger.devices) {
      const now = wifiOf(this.ledger.settings, device);
      if (this.previousWifi.has(device.deviceId) && !sameWifi(this.previousWifi.get(device.deviceId), now)) this.summary.wifiChanged.push(device.deviceId);
      if (!now) continue;
      wifi.devices++;
      networks.add(now.ssid);
      if (now.psk === "") wifi.open++;
    }
    wifi.networks = networks.size;
  }

  async certificateAuthority(): Promise<void> {
    const r = this.request;
    if (this.ledger.settings.auth !== "tls") return;
    const recorded = this.ledger.ca;
    const { generateCa, issuedBy, loadCa } = await tlsTools();
    if (r.ca) {
      try {
        this.ca = await loadCa(r.ca.certificatePem, r.ca.privateKeyPem);
      } catch (error) {
        throw new ProvisionError(`${r.ca.source}: ${(error as Error).message}`);
      }
      const certificate = this.ca.certificate.toString("pem");
      if (recorded && recorded.certificate.trim() !== certificate.trim() && !r.rotate)
        throw new ProvisionError(`this batch's certificates come from another CA (${LEDGER_FILE}); pass that CA, or add --rotate to reissue them all`);
      this.ledger.ca = { certificate, source: "loaded" };
    } else if (recorded?.source === "generated") {
      const key = this.out.read(CA_KEY_FILE);
      if (!key) throw new ProvisionError(`${this.out.path(CA_KEY_FILE)} is missing: the batch's generated CA key is needed to issue certificates`);
      this.ca = await loadCa(recorded.certificate, key.toString("utf8"));
      this.out.keep(CA_KEY_FILE);
    } else if (recorded?.source === "loaded") {
      throw new ProvisionError("this batch's CA is the operator's own: pass it again with --ca-cert and --ca-key");
    } else {
      const { ca, privateKeyPem } = await generateCa(`payterm operator CA ${this.ledger.settings.idPrefix}`, r.now);
      this.ca = ca;
      this.ledger.ca = { certificate: ca.certificate.toString("pem"), source: "generated" };
      this.pendingCaKey = privateKeyPem;
    }
    if (r.rotate) return;
    const ca = this.ca.certificate;
    for (const device of this.ledger.devices)
      if (device.mqtt.certificate && !this.fresh.has(device) && !(await issuedBy(device.mqtt.certificate, ca)))
        throw new ProvisionError(`${device.deviceId}'s certificate was not issued by this CA; add --rotate to reissue every certificate`);
  }

  async credentials(): Promise<void> {
    const r = this.request;
    const fresh = [...this.fresh];
    const total = fresh.length + (this.freshService ? 1 : 0) + (this.freshRelease ? 1 : 0);
    if (total === 0) return;
    const issue = this.ledger.settings.auth === "tls" ? (await tlsTools()).issueClientCertificate : undefined;
    r.progress.begin(total, issue ? "certificates" : "credentials");
    const make = async (username: string): Promise<BrokerCredentials> => {
      if (!issue) {
        const password = newPassword();
        return { username, password, passwordHash: hashPassword(password) };
      }
      const issued = await issue(this.ca as CertificateAuthority, username, r.now, r.certificateDays);
      return { username, certificate: issued.certificatePem, privateKey: issued.privateKeyPem };
    };
    const jobs: (() => Promise<void>)[] = fresh.map((device) => async () => {
      device.mqtt = await make(device.deviceId);
      r.progress.step(device.deviceId);
    });
    if (this.freshService)
      jobs.push(async () => {
        this.ledger.service = await make(this.ledger.settings.serviceUser);
        r.progress.step(this.ledger.settings.serviceUser);
      });
    if (this.freshRelease)
      jobs.push(async () => {
        this.ledger.release = await make(releaseUserOf(this.ledger));
        r.progress.step(releaseUserOf(this.ledger));
      });
    // WebCrypto makes RSA keys on libuv's thread pool: one worker per core keeps them all busy.
    const workers = Array.from({ length: Math.min(availableParallelism(), jobs.length) }, async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) await job();
    });
    await Promise.all(workers);
    r.progress.end();
  }

  /** A broker certificate for --server-name, kept across reruns until the names change or --rotate. */
  async serverCertificate(): Promise<void> {
    const names = this.request.serverNames;
    if (!names || names.length === 0) return;
    if (this.ledger.settings.auth !== "tls" || !this.ca) throw new ProvisionError("--server-name issues a broker certificate from the operator CA: it needs --tls");
    const { issueServerCertificate, issuedBy } = await tlsTools();
    const recorded = this.ledger.server;
    if (recorded && !this.request.rotate && recorded.names.join(",") === names.join(",") && (await issuedBy(recorded.chain, this.ca.certificate))) return;
    const issued = await issueServerCertificate(this.ca, names, this.request.now, this.request.certificateDays);
    // The chain (server, then CA): Moddable checks the server name only on chains of two or more.
    const chain = `${issued.certificatePem.trimEnd()}\n${this.ca.certificate.toString("pem").trimEnd()}\n`;
    this.ledger.server = { names: [...names], chain, privateKey: issued.privateKeyPem };
  }

  /** Builds every device's image once without writing it, so a device that cannot fit fails the run before anything is written. */
  checkImages(target: FlashTarget): void {
    const trustAnchorPem = this.trustAnchor();
    for (const device of this.ledger.devices) {
      try {
        encodeKvImage(deviceDomains(device, this.nvsOptions(trustAnchorPem)), target.size);
      } catch (error) {
        throw new ProvisionError(`${device.deviceId}: ${(error as Error).message}`);
      }
    }
  }

  nvsOptions(trustAnchorPem: string | undefined): DeviceNvsOptions {
    const { releaseKeyHex, nfcKeyHex, wifi } = this.ledger.settings;
    const options: DeviceNvsOptions = { broker: this.broker, trustAnchorPem, keepalive: this.request.keepalive, wifi };
    if (releaseKeyHex) options.releaseKey = new Uint8Array(Buffer.from(releaseKeyHex, "hex"));
    if (nfcKeyHex) options.nfcKey = new Uint8Array(Buffer.from(nfcKeyHex, "hex"));
    return options;
  }

  trustAnchor(): string | undefined {
    return this.broker.tls ? (this.request.brokerCaPem ?? this.ledger.ca?.certificate) : undefined;
  }

  /** Every file derived from the ledger. */
  async outputs(target: FlashTarget): Promise<void> {
    const r = this.request;
    const { ledger, out } = this;
    const devices = [...ledger.devices].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
    const trustAnchorPem = this.trustAnchor();
    if (this.broker.tls && !trustAnchorPem)
      this.summary.warnings.push("no CA for the broker's certificate went into the images (--broker-ca FILE): devices will rely on the CA certificates built into their firmware");

    r.progress.begin(devices.length, "NVS images");
    for (const device of devices) {
      const domains = deviceDomains(device, this.nvsOptions(trustAnchorPem));
      out.write(nvsImagePath(device.deviceId), encodeKvImage(domains, target.size));
      out.write(`devices/${device.deviceId}/nvs.csv`, encodeKvCsv(domains));
      if (device.mqtt.certificate) out.write(`devices/${device.deviceId}/client.crt`, device.mqtt.certificate);
      r.progress.step(device.deviceId);
    }
    r.progress.end();

    const backend = devices.map((d) => backendDevice(d, ledger.settings.auth));
    out.write("backend/devices.json", backendJson(backend));
    out.write("backend/devices.csv", backendCsv(backend));

    writeBrokerFiles(out, ledger, devices);

    const stickers = new Map<string, StickerJob>();
    for (const device of devices) {
      const m = device.merchant;
      if (!m || (!m.vpa && !m.emvco)) continue;
      const job = stickers.get(m.id) ?? { merchant: m, deviceIds: [], since: device.createdAt };
      job.deviceIds.push(device.deviceId);
      if (device.createdAt < job.since) job.since = device.createdAt;
      stickers.set(m.id, job);
    }
    for (const id of await writeStickers(out, [...stickers.values()], r.progress)) {
      const name = (stickers.get(id) as StickerJob).merchant.name;
      this.summary.warnings.push(`sticker ${id}: the name ${JSON.stringify(name)} needs a font the PDF's standard fonts lack; the sticker shows the payment address only`);
    }

    out.write("flash/commands.txt", flashCommands(devices, target));
    out.write("flash/flash.sh", flashScript(target), 0o700);
  }
}

function flashTarget(request: ProvisionRequest): FlashTarget {
  let partitions;
  try {
    partitions = parsePartitionTable(request.partitionTable.text);
    const nvs = nvsPartition(partitions, request.partitionTable.source);
    return { chip: request.chip, offset: nvs.offset, size: nvs.size, baud: request.baud, partitionSource: request.partitionTable.source };
  } catch (error) {
    throw new ProvisionError(`${request.partitionTable.source}: ${(error as Error).message}`);
  }
}

export async function provision(request: ProvisionRequest): Promise<ProvisionSummary> {
  if (request.merchants && request.count !== undefined) throw new ProvisionError("use --count or --csv, not both");
  if (request.count !== undefined && (!Number.isInteger(request.count) || request.count < 1 || request.count > 100_000))
    throw new ProvisionError(`--count must be a whole number from 1 to 100000, got ${request.count}`);
  const language = request.language ?? DEFAULT_LANGUAGE;
  const languageProblem = checkLanguage(language);
  if (languageProblem) throw new ProvisionError(`--lang: ${languageProblem}`);
  const target = flashTarget(request);

  const batch = new Batch(request);
  const previous = readLedger(batch.out);
  batch.settle(previous);
  batch.reconcile(slotsFromRequest(request, language, batch.ledger.settings.wifi));
  batch.summary.nvs = { offset: target.offset, size: target.size };

  await batch.certificateAuthority();
  await batch.credentials();
  await batch.serverCertificate();
  batch.checkImages(target);

  // Everything is known and checked: now write, the ledger (and a new CA's key) first.
  batch.out.prepare();
  if (batch.pendingCaKey) batch.out.write(CA_KEY_FILE, batch.pendingCaKey);
  writeLedger(batch.out, batch.ledger);
  await batch.outputs(target);
  for (const outcome of batch.out.outcomes.values()) batch.summary.files[outcome]++;
  return batch.summary;
}

export { InputError, LedgerError };
