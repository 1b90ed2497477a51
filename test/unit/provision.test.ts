/**
 * `payterm provision` without a broker: the merchants CSV and its errors, the files a batch
 * writes and their modes, idempotent reruns, --rotate, rebinding, the images as the firmware's
 * own config loader reads them, the broker files, the backend import, and the stickers decoded
 * back to their payload. (test/integration/provision.test.ts runs the outputs on mosquitto.)
 */
import { beforeAll, afterAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import jsQR from "jsqr";
import { PDFArray, PDFDocument, PDFRawStream } from "pdf-lib";
import { PNG } from "pngjs";
import { createMemoryHal } from "../../hal/memory/index";
import { MemoryKv } from "../../hal/memory/kv";
import { startDevice } from "../../firmware/device";
import type { MqttConnectOptions, MqttTls } from "../../hal/mqtt";
import { brokerEndpoint, brokerTls } from "../../firmware/broker";
import { CONFIG_DOMAIN, loadConfig, provisionedDeviceId, provisionedProduct } from "../../firmware/config";
import { Keyring } from "../../firmware/payments/keyring";
import { readBackendImport } from "../../host-sim/provision/backend";
import { parseBrokerUrl } from "../../host-sim/provision/broker-url";
import { parseMerchants, InputError } from "../../host-sim/provision/merchants";
import { deviceAccess, hashPassword, mosquittoAcl, verifyPassword } from "../../host-sim/provision/mosquitto";
import type { Ledger } from "../../host-sim/provision/model";
import { loadNvsIntoKv } from "../../host-sim/provision/nvs/kv-image";
import { readP256PublicKey } from "../../host-sim/provision/p256-key";
import { nvsPartition, parsePartitionTable } from "../../host-sim/provision/partition-table";
import { progressOn } from "../../host-sim/provision/progress";
import { provision, ProvisionError } from "../../host-sim/provision/provision";
import { Registry } from "../../host-sim/registry";
import { main } from "../../host-sim/cli";
import { merchantsCsv, provisionRequest, provisionScratch } from "../support/provision-request";
import { TestCa } from "../support/tls-certs";

const ROOT = join(import.meta.dirname, "..", "..");
const PARTITIONS = join(ROOT, "hal", "moddable", "partitions.csv");
const EMVCO = (JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "qr-vectors.json"), "utf8")) as { emvco: { valid: { source: string; payload: string }[] } }).emvco;
const PIX = EMVCO.valid.find((v) => v.source.startsWith("PIX"))?.payload as string;
const DYNAMIC = EMVCO.valid.find((v) => v.source.includes("dynamic"))?.payload as string;
// The release public key `payterm release keygen` would write (release.pub.hex): any P-256 point.
const RELEASE_KEY_HEX =
  "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

const scratch = provisionScratch("payterm-provision-unit-");
const freshOut = scratch.freshOut;
const request = provisionRequest;
const merchants = merchantsCsv;

const CSV = `merchant_id,name,vpa,product,language
M-001,"Sharma Chai Corner, Pune",sharma.chai@okaxis,soundbox,hi
M-001,"Sharma Chai Corner, Pune",sharma.chai@okaxis,qr-display,
M-002,Patel Kirana,patel.kirana@ybl,qr-display,en-in
`;

/** Every file under `root` with its mode, SHA-256 and mtime. */
function snapshot(root: string): Map<string, { mode: number; sha256: string; mtimeMs: number }> {
  const out = new Map<string, { mode: number; sha256: string; mtimeMs: number }>();
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      const stat = statSync(full);
      if (stat.isDirectory()) {
        out.set(`${full}/`, { mode: stat.mode & 0o777, sha256: "", mtimeMs: 0 });
        walk(full);
      } else out.set(full, { mode: stat.mode & 0o777, sha256: createHash("sha256").update(readFileSync(full)).digest("hex"), mtimeMs: stat.mtimeMs });
    }
  };
  walk(root);
  return out;
}

function ledger(out: string): Ledger {
  return JSON.parse(readFileSync(join(out, "provision.json"), "utf8")) as Ledger;
}

function image(out: string, deviceId: string): MemoryKv {
  const kv = new MemoryKv();
  loadNvsIntoKv(new Uint8Array(readFileSync(join(out, "devices", deviceId, "nvs.bin"))), kv);
  return kv;
}

describe("merchants CSV", () => {
  const defaults = { language: "en-in" };

  it("reports every bad row with its row number", () => {
    const text = [
      "merchant_id,name,vpa,product,language,emvco",
      "M-1,Good One,good.one@okaxis,soundbox,,",
      "M-2,Bad Vpa,not-a-vpa,soundbox,,",
      "M-3,Bad Product,m3.shop@ybl,toaster,,",
      "M-1,Good One Again,good.one@okaxis,soundbox,,",
      "M-4,Unknown Tongue,m4.shop@ybl,soundbox,xx-yy,",
      "M 5,Bad Id,m5.shop@ybl,soundbox,,",
      "M-6,No Code,,qr-display,,",
      `M-7,Dynamic,,qr-display,,${DYNAMIC}`,
      "M-8,Both,m8.shop@ybl,soundbox,,0002010102115802IN",
      "M-9,Short Row",
    ].join("\n");
    let error: InputError | undefined;
    try {
      parseMerchants(text, "merchants.csv", defaults);
    } catch (caught) {
      error = caught as InputError;
    }
    expect(error).toBeInstanceOf(InputError);
    const problems = (error as InputError).problems;
    expect(problems).toEqual([
      'row 3: upi: pa "not-a-vpa" is not a payee address of the form name@handle',
      expect.stringMatching(/^row 4: product "toaster" is not one of soundbox, qr-display/),
      "row 5: merchant M-1 already has a soundbox on row 2 (give each a device_id to make more than one)",
      'row 6: language "xx-yy" has no voice in this firmware',
      'row 7: merchant_id "M 5" must be 1-40 of A-Z a-z 0-9 . _ -',
        "row 8: a qr-display needs a vpa or an emvco payload for its static QR",
      "row 9: emvco: point of initiation 12 is a dynamic (one payment) code, not a merchant's static QR",
      "row 10: give either vpa (UPI) or emvco, not both: a device shows one static QR",
      "row 11: 2 fields, the header has 6",
    ]);
    expect((error as InputError).message).toMatch(/^merchants.csv: 9 problems, nothing was written/);
  });

  it.each([
    ["an unknown column", "merchant_id,name,vpaa\nM-1,A,a.b@okaxis\n", /row 1: unknown column "vpaa"/],
    ["a missing required column", "merchant_id,vpa\nM-1,a.b@okaxis\n", /row 1: the required column name is missing/],
    ["an unclosed quote", 'merchant_id,name\nM-1,"Open quote\n', /row 2: quoted field is not closed/],
    ["a header and nothing else", "merchant_id,name\n", /a header and no merchants/],
    ["an empty file", "", /the file is empty/],
    ["a row without a product and no --product", "merchant_id,name\nM-1,Shop\n", /row 2: no product/],
  ])("refuses %s", (_what, text, message) => {
    expect(() => parseMerchants(text, "merchants.csv", defaults)).toThrow(message);
  });

  it("reads quoted names with commas and quotes, a byte order mark, CRLF lines and an EMVCo payload", () => {
    const text = `\uFEFFmerchant_id,Name,PRODUCT,emvco\r\nM-1,"Joe's ""Best"", Pune",qr-display,${PIX}\r\n`;
    const [row] = parseMerchants(text, "merchants.csv", defaults);
    expect(row).toMatchObject({ row: 2, product: "qr-display", language: "en-in", merchant: { id: "M-1", name: 'Joe\'s "Best", Pune', emvco: PIX } });
  });
});

describe("a batch from a merchants CSV", () => {
  let out: string;
  let first: Awaited<ReturnType<typeof provision>>;

  beforeAll(async () => {
    out = freshOut();
    first = await provision(request(out, { merchants: merchants(CSV), releaseKey: readP256PublicKey(RELEASE_KEY_HEX, "release key") }));
  });

  it("makes one device per row, with its own id, key and password", () => {
    expect(first.created).toHaveLength(3);
    const { devices } = ledger(out);
    expect(new Set(devices.map((d) => d.deviceId)).size).toBe(3);
    expect(new Set(devices.map((d) => d.keyHex)).size).toBe(3);
    expect(new Set(devices.map((d) => d.mqtt.password)).size).toBe(3);
    for (const d of devices) {
      expect(d.deviceId).toMatch(d.product === "soundbox" ? /^pt-sb-[a-z2-9]{10}$/ : /^pt-qr-[a-z2-9]{10}$/);
      expect(d.keyId).toBe("k1");
      expect(verifyPassword(d.mqtt.password as string, d.mqtt.passwordHash as string)).toBe(true);
    }
  });

  it("writes the outputs owner-only: directories 0700, files 0600, the flash script 0700", () => {
    const files = snapshot(out);
    const names = [...files.keys()].map((f) => f.slice(out.length + 1)).sort();
    const device = ledger(out).devices[0].deviceId;
    for (const expected of [
      "provision.json",
      `devices/${device}/nvs.bin`,
      `devices/${device}/nvs.csv`,
      "backend/devices.json",
      "backend/devices.csv",
      "broker/acl",
      "broker/passwd",
      "broker/mosquitto.conf",
      "broker/mosquitto-dynsec.conf",
      "broker/dynamic-security.json",
      "broker/service.json",
      "broker/release.json",
      "broker/release.password",
      "stickers/M-001.png",
      "stickers/M-001.pdf",
      "stickers/M-002.png",
      "stickers/M-002.pdf",
      "flash/commands.txt",
      "flash/flash.sh",
    ])
      expect(names).toContain(expected);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    for (const [name, { mode }] of files) {
      if (name.endsWith("/")) expect([name, mode]).toEqual([name, 0o700]);
      else expect([name, mode]).toEqual([name, name.endsWith("flash.sh") ? 0o700 : 0o600]);
    }
  });

  it("writes images the firmware's own config loader reads: id, product, broker, credentials, language, merchant, keys", () => {
    const record = ledger(out).devices.find((d) => d.merchant?.id === "M-001" && d.product === "soundbox");
    if (!record) throw new Error("no M-001 soundbox");
    const kv = image(out, record.deviceId);
    expect(provisionedDeviceId(kv)).toBe(record.deviceId);
    expect(provisionedProduct(kv)).toBe("soundbox");
    const config = loadConfig(kv, { brokerHost: "default", brokerPort: 1, brokerTls: true, language: "en-in", keepalive: 5 });
    expect(config).toMatchObject({
      brokerHost: "broker.example.com",
      brokerPort: 1883,
      brokerTls: false,
      username: record.deviceId,
      password: record.mqtt.password,
      language: "hi",
      keepalive: 60,
      merchantVpa: "sharma.chai@okaxis",
      merchantName: "Sharma Chai Corner, Pune",
      merchantQr: "upi://pay?pa=sharma.chai@okaxis&pn=Sharma%20Chai%20Corner%2C%20Pune&cu=INR",
    });
    expect(Buffer.from(config.updatePublicKey as Uint8Array).toString("hex")).toBe(RELEASE_KEY_HEX);
    expect(Buffer.from(new Keyring(kv).get("k1") as Uint8Array).toString("hex")).toBe(record.keyHex);
    expect(kv.keys(CONFIG_DOMAIN)).not.toContain("tlsCert");
  });

  it("boots a device from its image with the image's id and settings, and says so when the image is for the other product", () => {
    const qr = ledger(out).devices.find((d) => d.product === "qr-display") as Ledger["devices"][number];
    const boot = (product: "soundbox" | "qr-display") => {
      const kv = image(out, qr.deviceId);
      const hal = createMemoryHal({ deviceId: provisionedDeviceId(kv) as string, product, kv, clips: [] });
      const seen: MqttConnectOptions[] = [];
      const connect = hal.mqtt.connect.bind(hal.mqtt);
      hal.mqtt.connect = (options, handlers) => {
        seen.push(options);
        connect(options, handlers);
      };
      const device = startDevice(hal, { brokerHost: "nowhere.invalid", brokerPort: 1, brokerTls: false, language: "en-in", keepalive: 5 });
      device.stop();
      return { options: seen[0], events: hal.log.events.filter((e) => e.name === "product-mismatch").map((e) => e.fields) };
    };
    const right = boot("qr-display");
    expect(right.options).toMatchObject({ host: "broker.example.com", port: 1883, clientId: qr.deviceId, username: qr.deviceId, password: qr.mqtt.password });
    expect(right.events).toEqual([]);
    expect(boot("soundbox").events).toEqual([{ provisioned: "qr-display", firmware: "soundbox" }]);
  });

  it("lists one esptool command per device at the nvs partition's offset, and a script that checks the image size", () => {
    const commands = readFileSync(join(out, "flash", "commands.txt"), "utf8").split("\n").filter((l) => l.startsWith("esptool"));
    expect(commands).toHaveLength(3);
    for (const device of ledger(out).devices)
      expect(commands).toContain(
        `esptool.py --chip esp32 --port "$PORT" --baud 921600 write_flash 0x9000 devices/${device.deviceId}/nvs.bin  # ${device.product} ${device.merchant?.id}`,
      );
    const script = readFileSync(join(out, "flash", "flash.sh"), "utf8");
    expect(script).toContain('-ne 131072 ]');
    // The script refuses a device it has no image for, without calling esptool.
    expect(() => execFileSync("sh", [join(out, "flash", "flash.sh"), "pt-sb-nosuchdevice", "/dev/null"], { stdio: "pipe" })).toThrow(/no image for device pt-sb-nosuchdevice/);
  });

  it("writes a backend import the simulator's registry loads, as JSON and as CSV", () => {
    const json = readBackendImport(readFileSync(join(out, "backend", "devices.json"), "utf8"), "devices.json");
    const csv = readBackendImport(readFileSync(join(out, "backend", "devices.csv"), "utf8"), "devices.csv");
    expect(csv).toEqual(json);
    const registry = new Registry(scratch.file("registry"));
    expect(registry.importDevices(json)).toBe(3);
    for (const device of ledger(out).devices) {
      const key = registry.keyFor(device.deviceId);
      expect(key?.keyId).toBe("k1");
      expect(Buffer.from(key?.key as Uint8Array).toString("hex")).toBe(device.keyHex);
    }
    expect(json.find((d) => d.merchantId === "M-002")?.staticQr).toBe("upi://pay?pa=patel.kirana@ybl&pn=Patel%20Kirana&cu=INR");
  });

  it("gives each device read access to what it is sent and write access to what it sends, under its own id only", () => {
    const acl = readFileSync(join(out, "broker", "acl"), "utf8");
    const qr = ledger(out).devices.find((d) => d.product === "qr-display") as Ledger["devices"][number];
    const block = acl.split("\n\n").find((b) => b.includes(`user ${qr.deviceId}\n`)) as string;
    expect(block.split("\n").slice(2)).toEqual([
      `topic read pt/v1/${qr.deviceId}/pay`,
      `topic read pt/v1/${qr.deviceId}/cmd`,
      `topic read pt/v1/${qr.deviceId}/charge`,
      `topic read pt/v1/${qr.deviceId}/upd/data`,
      `topic write pt/v1/${qr.deviceId}/cmdack`,
      `topic write pt/v1/${qr.deviceId}/charge/ack`,
      `topic write pt/v1/${qr.deviceId}/ack`,
      `topic write pt/v1/${qr.deviceId}/status`,
      `topic write pt/v1/${qr.deviceId}/telemetry`,
      `topic write pt/v1/${qr.deviceId}/upd/get`,
      `topic write pt/v1/${qr.deviceId}/upd/state`,
      `topic write pt/v1/${qr.deviceId}/selftest`,
      `topic write pt/v1/${qr.deviceId}/tap`,
    ]);
    expect(deviceAccess("sb-1", "soundbox").read).not.toContain("pt/v1/sb-1/charge");
    const operators = mosquittoAcl({ service: "svc", release: "rel" }, []);
    expect(operators).toContain("user svc\ntopic readwrite pt/v1/#");
    // The release publisher: commands and update topics of every device, no payments or acks.
    expect(operators).toContain(
      "user rel\ntopic read pt/v1/+/cmdack\ntopic read pt/v1/+/upd/get\ntopic read pt/v1/+/upd/state\ntopic write pt/v1/+/cmd\ntopic write pt/v1/+/upd/data\n",
    );
  });

  it("decodes each sticker, PNG and PDF, back to the merchant's static QR", async () => {
    const expected = "upi://pay?pa=patel.kirana@ybl&pn=Patel%20Kirana&cu=INR";
    const png = PNG.sync.read(readFileSync(join(out, "stickers", "M-002.png")));
    expect(decodeImage(png.data, png.width, 4)).toBe(expected);
    expect(await decodePdfSticker(readFileSync(join(out, "stickers", "M-002.pdf")))).toBe(expected);
  });

  it("changes nothing on a rerun: same identities, every file byte for byte and untouched", async () => {
    const before = snapshot(out);
    const again = await provision(request(out, { merchants: merchants(CSV), now: new Date("2026-02-01T00:00:00Z") }));
    expect(again.created).toEqual([]);
    expect(again.kept).toHaveLength(3);
    expect(again.files).toEqual({ created: 0, updated: 0, unchanged: before.size - [...before.keys()].filter((k) => k.endsWith("/")).length });
    expect(snapshot(out)).toEqual(before);
  });

  it("draws a sticker again when its file was damaged since the last run, and only that one", async () => {
    const png = join(out, "stickers", "M-002.png");
    const good = readFileSync(png);
    writeFileSync(png, good.subarray(0, 100));
    const result = await provision(request(out, { merchants: merchants(CSV) }));
    expect(result.files.updated).toBe(1);
    expect(readFileSync(png).equals(good)).toBe(true);
  });

  it("keeps identities when a merchant's details change, and rebuilds that merchant's image and sticker", async () => {
    const ids = ledger(out).devices.map((d) => d.deviceId);
    const changed = CSV.replace("patel.kirana@ybl", "patel.stores@ybl");
    const result = await provision(request(out, { merchants: merchants(changed) }));
    expect(ledger(out).devices.map((d) => d.deviceId)).toEqual(ids);
    const qr = ledger(out).devices.find((d) => d.merchant?.id === "M-002") as Ledger["devices"][number];
    expect(result.rebound).toEqual([qr.deviceId]);
    expect(loadConfig(image(out, qr.deviceId), { brokerHost: "", brokerPort: 1, brokerTls: false, language: "en-in", keepalive: 1 }).merchantVpa).toBe("patel.stores@ybl");
    const png = PNG.sync.read(readFileSync(join(out, "stickers", "M-002.png")));
    expect(decodeImage(png.data, png.width, 4)).toBe("upi://pay?pa=patel.stores@ybl&pn=Patel%20Kirana&cu=INR");
  });

  it("with --rotate keeps device ids but makes new keys (next key id), passwords and images", async () => {
    const before = ledger(out);
    const imageBefore = readFileSync(join(out, "devices", before.devices[0].deviceId, "nvs.bin"));
    const result = await provision(request(out, { merchants: merchants(CSV), rotate: true }));
    const after = ledger(out);
    expect(result.rotated).toHaveLength(3);
    expect(after.devices.map((d) => d.deviceId)).toEqual(before.devices.map((d) => d.deviceId));
    for (const [i, device] of after.devices.entries()) {
      expect(device.keyId).toBe("k2");
      expect(device.keyHex).not.toBe(before.devices[i].keyHex);
      expect(device.mqtt.password).not.toBe(before.devices[i].mqtt.password);
      expect(device.rotatedAt).toBeDefined();
    }
    expect(after.service.password).not.toBe(before.service.password);
    expect(readFileSync(join(out, "devices", before.devices[0].deviceId, "nvs.bin")).equals(imageBefore)).toBe(false);
  });

  it("refuses to switch the batch to certificates without --rotate", async () => {
    await expect(provision(request(out, { merchants: merchants(CSV), auth: "tls", brokerUrl: "mqtts://broker.example.com" }))).rejects.toThrow(
      /authenticates with password; switching to tls replaces every credential: add --rotate/,
    );
  });
});

describe("a batch from --count", () => {
  it("grows to a larger count and keeps the devices it already made", async () => {
    const out = freshOut();
    await provision(request(out, { count: 2, product: "soundbox" }));
    const two = ledger(out).devices.map((d) => d.deviceId);
    const grown = await provision(request(out, { count: 3, product: "soundbox" }));
    expect(grown.created).toHaveLength(1);
    expect(grown.kept).toEqual(two);
    expect(ledger(out).devices.map((d) => d.deviceId).slice(0, 2)).toEqual(two);
    const fewer = await provision(request(out, { count: 1, product: "soundbox" }));
    expect(fewer.warnings).toContain("2 devices of this batch not named in this run kept as they were (they stay in every output)");
    expect(ledger(out).devices).toHaveLength(3);
  });

  it.each([
    ["no broker for a new batch", { brokerUrl: undefined }, /--broker URL is required for a new batch/],
    ["a broker URL with a path", { brokerUrl: "mqtt://h:1883/x" }, /must be only a scheme, host and port/],
    ["an http broker URL", { brokerUrl: "http://h" }, /must start with mqtt:\/\/ or mqtts:\/\//],
    ["certificates over plain MQTT", { auth: "tls" as const }, /client certificates need a TLS broker/],
    ["a count of zero", { count: 0 }, /--count must be a whole number from 1 to 100000/],
    ["a bad id prefix", { idPrefix: "PT_" }, /--id-prefix must be 1-8 of a-z 0-9/],
    ["an unknown language", { language: "tlh" }, /--lang: language "tlh" has no voice/],
    ["a partition table without nvs", { partitionTable: { text: "factory, app, factory, 0x10000, 1M\n", source: "p.csv" } }, /p.csv: p.csv has no partition named nvs/],
    ["a --server-name without --tls", { serverNames: ["127.0.0.1"] }, /--server-name issues a broker certificate from the operator CA: it needs --tls/],
  ])("refuses %s and writes nothing", async (_what, overrides, message) => {
    const out = freshOut();
    await expect(provision(request(out, { count: 1, product: "soundbox", ...overrides }))).rejects.toThrow(ProvisionError);
    await expect(provision(request(out, { count: 1, product: "soundbox", ...overrides }))).rejects.toThrow(message);
    expect(existsSync(out)).toBe(false);
  });

  it("stops before writing anything when the ledger is not readable", async () => {
    const out = freshOut();
    await provision(request(out, { count: 1, product: "soundbox" }));
    writeFileSync(join(out, "provision.json"), "{ not json");
    const before = snapshot(out);
    await expect(provision(request(out, { count: 2, product: "soundbox" }))).rejects.toThrow(/provision.json: not valid JSON .*restore it from a backup/);
    expect(snapshot(out)).toEqual(before);
  });
});

describe("the command line", () => {
  async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = console.log;
    const error = console.error;
    console.log = (...parts: unknown[]) => out.push(parts.join(" "));
    console.error = (...parts: unknown[]) => err.push(parts.join(" "));
    try {
      return { code: await main(["provision", ...args]), stdout: out.join("\n"), stderr: err.join("\n") };
    } finally {
      console.log = log;
      console.error = error;
    }
  }

  it.each([
    [[], /--out DIR is required/],
    [["--out", "x"], /say what to make: --count N --product P, or --csv MERCHANTS.csv/],
    [["--out", "x", "--count", "2"], /--count needs --product soundbox or --product qr-display/],
    [["--out", "x", "--count", "two", "--product", "soundbox"], /--count must be a whole number from 1 to 100000, got "two"/],
    [["--out", "x", "--count", "1", "--product", "kettle"], /--product must be one of soundbox, qr-display, got "kettle"/],
    [["--out", "x", "--csv", "/nonexistent.csv"], /--csv \/nonexistent.csv: no such file/],
    [["--out", "x", "--count", "1", "--product", "soundbox", "--ca-cert", "a.pem"], /--ca-cert and --ca-key go together/],
    [["--out", "x", "--count", "1", "--product", "soundbox", "--chip", "esp8266"], /--chip must be one of/],
    [["--out", "x", "--count", "1", "--product", "soundbox", "--frobnicate"], /Unknown option '--frobnicate'/],
  ])("exits 2 with a reason for %j", async (args, message) => {
    const { code, stderr } = await run(args as string[]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message as RegExp);
  });

  it("exits 1 for a CSV with bad rows, naming them, and leaves no output directory", async () => {
    const csv = scratch.file("bad.csv");
    writeFileSync(csv, "merchant_id,name,vpa,product\nM-1,Shop,shop.one@okaxis,soundbox\nM-2,Shop Two,bad,soundbox\n");
    const out = freshOut();
    const { code, stderr } = await run(["--out", out, "--csv", csv, "--broker", "mqtt://127.0.0.1:1883"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/bad.csv: 1 problem, nothing was written\n\s+row 3: upi: pa "bad" is not a payee address/);
    expect(existsSync(out)).toBe(false);
  });

  it("provisions a batch and says what it did", async () => {
    const out = freshOut();
    const { code, stdout } = await run(["--out", out, "--count", "2", "--product", "qr-display", "--broker", "mqtt://127.0.0.1:1883", "--release-key", writeKey()]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^2 devices in .*: 2 new, 0 kept, 0 rotated\nfiles: \d+ created, 0 updated, 0 unchanged\nNVS partition at 0x9000, 0x20000 bytes/);
  });

  function writeKey(): string {
    const path = scratch.file("release.pub.hex");
    writeFileSync(path, `${RELEASE_KEY_HEX}\n`);
    return path;
  }
});

describe("parts", () => {
  it("hashes passwords as mosquitto_passwd does ($7$, PBKDF2-SHA512, 101 iterations, 12-byte salt)", () => {
    const file = scratch.file("passwd");
    execFileSync("mosquitto_passwd", ["-c", "-b", file, "alice", "s3cret pass"]);
    const [user, encoded] = readFileSync(file, "utf8").trim().split(":");
    expect(user).toBe("alice");
    expect(verifyPassword("s3cret pass", encoded)).toBe(true);
    expect(verifyPassword("s3cret pasS", encoded)).toBe(false);
    const salt = Buffer.from(encoded.split("$")[3], "base64");
    expect(hashPassword("s3cret pass", salt)).toBe(encoded);
  });

  it("reads the project's partition table and ESP-IDF tables with computed offsets", () => {
    expect(nvsPartition(parsePartitionTable(readFileSync(PARTITIONS, "utf8")), "t")).toMatchObject({ offset: 0x9000, size: 0x20000 });
    const table = parsePartitionTable("# comment\notadata, data, ota, , 8K\nnvs, data, nvs, , 0x6000,\nota_0, app, ota_0, , 1M\n");
    expect(table.map((p) => [p.name, p.offset, p.size])).toEqual([
      ["otadata", 0x9000, 0x2000],
      ["nvs", 0xb000, 0x6000],
      ["ota_0", 0x20000, 0x100000],
    ]);
    expect(() => parsePartitionTable("nvs, data, nvs, 0x9000, lots\n")).toThrow(/line 1: size "lots" is not a number/);
    expect(() => parsePartitionTable("a, data, nvs, 0x9000, 0x6000\nb, data, nvs, 0xa000, 0x1000\n")).toThrow(/line 2: b at 0xa000 overlaps/);
    expect(() => nvsPartition(parsePartitionTable("nvs, data, nvs, 0x9000, 0x2000\n"), "t")).toThrow(/nvs size 0x2000 is not a multiple of 0x1000 of at least 0x3000/);
  });

  it("parses broker URLs with default ports", () => {
    expect(parseBrokerUrl("mqtts://mqtt.example.com")).toEqual({ host: "mqtt.example.com", port: 8883, tls: true });
    expect(parseBrokerUrl("mqtt://10.0.0.2")).toEqual({ host: "10.0.0.2", port: 1883, tls: false });
    expect(() => parseBrokerUrl("mqtt://user:pw@h")).toThrow(/must not carry credentials/);
  });

  it("reads release keys as hex or PEM and refuses points off the curve", () => {
    expect(Buffer.from(readP256PublicKey(RELEASE_KEY_HEX, "k")).toString("hex")).toBe(RELEASE_KEY_HEX);
    expect(() => readP256PublicKey(`04${"11".repeat(64)}`, "k")).toThrow(/k: the point is not on the P-256 curve/);
    expect(() => readP256PublicKey("hello", "k")).toThrow(/expected 130 hex digits/);
  });

  it("draws a progress bar on a terminal and plain lines elsewhere", () => {
    const written: string[] = [];
    const lines = progressOn({ isTTY: false, write: (t) => written.push(t) });
    lines.begin(20, "NVS images");
    for (let i = 0; i < 20; i++) lines.step(`d${i}`);
    lines.end();
    expect(written).toEqual(["NVS images: 20 to do\n", ...Array.from({ length: 10 }, (_, i) => `NVS images: ${(i + 1) * 2}/20 (d${i * 2 + 1})\n`)]);
    const drawn: string[] = [];
    let now = 0;
    const bar = progressOn({ isTTY: true, columns: 80, write: (t) => drawn.push(t) }, () => (now += 100));
    bar.begin(4, "certificates");
    for (let i = 0; i < 4; i++) bar.step(`d${i}`);
    bar.end();
    expect(drawn.at(-2)).toMatch(/^\r\[#{30}\] 4\/4 certificates d3/);
    expect(drawn[1]).toMatch(/^\r\[#{8}-{22}\] 1\/4 certificates d0/);
  });
});

/** jsQR on every `step`-th pixel of a square RGBA image (the sticker's modules are 16 pixels wide). */
function decodeImage(rgba: Uint8Array, side: number, step: number): string | undefined {
  const small = Math.floor(side / step);
  const pixels = new Uint8ClampedArray(small * small * 4);
  for (let y = 0; y < small; y++)
    for (let x = 0; x < small; x++) pixels.set(rgba.subarray(((y * step) * side + x * step) * 4, ((y * step) * side + x * step) * 4 + 4), (y * small + x) * 4);
  return jsQR(pixels, small, small)?.data;
}

/**
 * The QR code of a sticker PDF, read from the page's drawing operations: the code is drawn in a
 * coordinate system of one unit per module (`m 0 0 m x y cm`), one `x y w 1 re` per dark run,
 * filled at once; the rectangles are painted into a bitmap, scaled up, and decoded with jsQR.
 */
async function decodePdfSticker(bytes: Uint8Array): Promise<string | undefined> {
  const doc = await PDFDocument.load(bytes);
  const contents = doc.getPage(0).node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((ref) => doc.context.lookup(ref)) : [contents];
  const text = streams.map((s) => inflateSync(Buffer.from((s as PDFRawStream).contents)).toString("latin1")).join("\n");
  const code = /([\d.]+) 0 0 \1 [\d.]+ [\d.]+ cm\n0 g\n((?:\d+ \d+ \d+ 1 re\n)+)f/.exec(text);
  if (!code) return undefined;
  const rects = [...code[2].matchAll(/(\d+) (\d+) (\d+) 1 re/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), w: Number(m[3]) }));
  const size = Math.max(...rects.map((r) => r.y)) + 1;
  const scale = 3;
  const side = (size + 8) * scale;
  const pixels = new Uint8ClampedArray(side * side * 4).fill(255);
  for (const r of rects) {
    const row = size - 1 - r.y;
    for (let y = (row + 4) * scale; y < (row + 5) * scale; y++)
      for (let x = (r.x + 4) * scale; x < (r.x + 4 + r.w) * scale; x++) pixels.fill(0, (y * side + x) * 4, (y * side + x) * 4 + 3);
  }
  return jsQR(pixels, side, side)?.data;
}

describe("a batch with client certificates (--tls)", () => {
  let out: string;
  let caDir: string;

  beforeAll(async () => {
    out = freshOut();
    await provision(request(out, { count: 2, product: "soundbox", auth: "tls", brokerUrl: "mqtts://127.0.0.1:8883", serverNames: ["127.0.0.1", "localhost"] }));
    caDir = mkdtempSync(join(tmpdir(), "payterm-ca-"));
  });
  afterAll(() => rmSync(caDir, { recursive: true, force: true }));

  it("issues each device an RSA-2048 client certificate for its id from the batch's CA", () => {
    const ca = new X509Certificate(readFileSync(join(out, "ca", "ca.crt")));
    expect(ca.ca).toBe(true);
    for (const device of ledger(out).devices) {
      const cert = new X509Certificate(device.mqtt.certificate as string);
      expect(cert.subject).toBe(`CN=${device.deviceId}`);
      expect(cert.checkIssued(ca)).toBe(true);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
      expect(cert.checkPrivateKey(createPrivateKey(device.mqtt.privateKey as string))).toBe(true);
      expect(device.mqtt.password).toBeUndefined();
    }
    expect(statSync(join(out, "ca", "ca.key")).mode & 0o777).toBe(0o600);
  });

  it("puts the CA, the certificate and the PKCS#8 key in the image's tls domain, as the firmware's broker settings find them", () => {
    const device = ledger(out).devices[0];
    const kv = image(out, device.deviceId);
    const config = loadConfig(kv, { brokerHost: "", brokerPort: 1, brokerTls: false, language: "en-in", keepalive: 1 });
    expect(config).toMatchObject({ brokerHost: "127.0.0.1", brokerPort: 8883, brokerTls: true, tlsCa: "nvs:ca", tlsCert: "nvs:cert", tlsKey: "nvs:key", username: undefined });
    const tls = brokerTls(config, brokerEndpoint(config), kv) as MqttTls;
    const der = (pem: string) => new X509Certificate(pem).raw;
    expect(Buffer.from(tls.cert as Uint8Array)).toEqual(der(device.mqtt.certificate as string));
    expect(Buffer.from(tls.ca as Uint8Array)).toEqual(der(readFileSync(join(out, "ca", "ca.crt"), "utf8")));
    expect(createPrivateKey({ key: Buffer.from(tls.key as Uint8Array), format: "der", type: "pkcs8" }).asymmetricKeyType).toBe("rsa");
  });

  it("writes the broker's certificate as a chain (server, then CA) for its names", () => {
    const chain = readFileSync(join(out, "broker", "server.crt"), "utf8");
    const [server, ca] = chain.split(/(?<=-----END CERTIFICATE-----\n)/).map((pem) => new X509Certificate(pem));
    expect(server.subjectAltName).toBe("IP Address:127.0.0.1, DNS:localhost");
    expect(server.checkIssued(ca)).toBe(true);
    expect(ca.toString()).toBe(new X509Certificate(readFileSync(join(out, "ca", "ca.crt"))).toString());
  });

  it("keeps certificates, CA and server certificate on a rerun", async () => {
    const before = snapshot(out);
    const again = await provision(request(out, { count: 2, product: "soundbox", brokerUrl: undefined, serverNames: ["127.0.0.1", "localhost"] }));
    expect(again.files.created + again.files.updated).toBe(0);
    expect(snapshot(out)).toEqual(before);
  });

  it("issues from an operator CA made elsewhere (openssl, EC P-256), and refuses a key that is not the CA's", async () => {
    const ca = TestCa.create(caDir, "operator-ca");
    const other = TestCa.create(caDir, "other-ca");
    const loaded = freshOut();
    await provision(
      request(loaded, { count: 1, product: "qr-display", auth: "tls", brokerUrl: "mqtts://broker.example.com", ca: { certificatePem: ca.ca.cert, privateKeyPem: ca.ca.key, source: "ca.crt" } }),
    );
    const cert = new X509Certificate(ledger(loaded).devices[0].mqtt.certificate as string);
    expect(cert.verify(new X509Certificate(ca.ca.cert).publicKey)).toBe(true);
    expect(existsSync(join(loaded, "ca", "ca.key"))).toBe(false);
    const wrong = freshOut();
    await expect(
      provision(request(wrong, { count: 1, product: "qr-display", auth: "tls", brokerUrl: "mqtts://b.example.com", ca: { certificatePem: ca.ca.cert, privateKeyPem: other.ca.key, source: "ca.crt" } })),
    ).rejects.toThrow(/ca.crt: the CA key does not belong to CN=operator-ca/);
    expect(existsSync(wrong)).toBe(false);
    await expect(
      provision(request(loaded, { count: 1, product: "qr-display", brokerUrl: undefined, ca: { certificatePem: other.ca.cert, privateKeyPem: other.ca.key, source: "other.crt" } })),
    ).rejects.toThrow(/this batch's certificates come from another CA/);
  });
});
