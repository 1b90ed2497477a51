/**
 * Wi-Fi in `payterm provision`'s images: the network the batch names (--wifi-ssid with a passphrase
 * from a file, the environment or the command line, or --wifi-open) and the one a merchant's row
 * names over it (wifi_ssid, wifi_psk, wifi_open), written to config/ssid and config/psk exactly as
 * ESP-IDF's generator lays them out (test/vectors/nvs/wifi*.bin) and read back by the firmware's
 * config loader. Bad input is refused before anything is written, with no passphrase in any
 * message; the passphrase is in the ledger and the images only; a changed network rewrites only
 * the images that name it. (test/integration/provision-wifi.test.ts joins a simulated access point.)
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KvValue } from "../../hal/kv";
import { MemoryKv } from "../../hal/memory/kv";
import type { WifiSettings } from "../../hal/network";
import { loadConfig, type DeviceDefaults } from "../../firmware/config";
import { parseBrokerUrl } from "../../host-sim/provision/broker-url";
import { deviceDomains } from "../../host-sim/provision/device-nvs";
import { InputError, parseMerchants } from "../../host-sim/provision/merchants";
import type { DeviceRecord, Ledger } from "../../host-sim/provision/model";
import { encodeKvCsv, encodeKvImage, loadNvsIntoKv } from "../../host-sim/provision/nvs/kv-image";
import { provision, ProvisionError } from "../../host-sim/provision/provision";
import { WIFI_PSK_ENV } from "../../host-sim/cli/provision";
import { runCli } from "../support/cli";
import { merchantsCsv, provisionRequest, provisionScratch } from "../support/provision-request";

const ROOT = join(import.meta.dirname, "..", "..");
const VECTORS = join(ROOT, "test", "vectors", "nvs");
const DEFAULTS: DeviceDefaults = { brokerHost: "default.invalid", brokerPort: 1, brokerTls: false, language: "en-in", keepalive: 5 };

/** The shop chain's network, for the whole batch. */
const CHAIN: WifiSettings = { ssid: "Chain WiFi", psk: "chain passphrase 2026" };
/** Patel Kirana's own router: its name and passphrase are the row's, spaces and all. */
const PATEL_PSK = ' kirana "xyzzy-7", 5G ';
const CSV = [
  "merchant_id,name,vpa,product,wifi_ssid,wifi_psk,wifi_open",
  "M-001,Sharma Chai Corner,sharma.chai@okaxis,soundbox,,,",
  `M-002,Patel Kirana,patel.kirana@ybl,qr-display,Patel Kirana 5G,"${PATEL_PSK.replace(/"/g, '""')}",`,
  "M-003,Cafe Free,cafe.free@okaxis,soundbox,Cafe Guest,,yes",
  "M-004,Same Password,same.pw@okaxis,soundbox,Store 4,,",
].join("\n");

const scratch = provisionScratch("payterm-provision-wifi-");
const freshOut = scratch.freshOut;
const request = provisionRequest;
const merchants = merchantsCsv;

function ledger(out: string): Ledger {
  return JSON.parse(readFileSync(join(out, "provision.json"), "utf8")) as Ledger;
}

function deviceOf(out: string, merchant: string): DeviceRecord {
  return ledger(out).devices.find((d) => d.merchant?.id === merchant) as DeviceRecord;
}

/** A device's image as the simulator's store holds it, and every entry as text ("config/psk" -> value). */
function readImage(out: string, deviceId: string): { kv: MemoryKv; entries: Map<string, string> } {
  const kv = new MemoryKv();
  const domains = loadNvsIntoKv(new Uint8Array(readFileSync(join(out, "devices", deviceId, "nvs.bin"))), kv);
  const text = (value: KvValue) => (value instanceof ArrayBuffer ? Buffer.from(value).toString("hex") : JSON.stringify(value));
  return { kv, entries: new Map(domains.flatMap(([domain, entries]) => entries.map(([key, value]) => [`${domain}/${key}`, text(value)] as const))) };
}

function wifiIn(out: string, deviceId: string): WifiSettings | undefined {
  return loadConfig(readImage(out, deviceId).kv, DEFAULTS).wifi;
}

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

/** The files whose bytes or mtime differ between two snapshots, relative to `root`. */
function changedFiles(root: string, before: ReturnType<typeof snapshot>, after: ReturnType<typeof snapshot>): string[] {
  return [...after.keys()].filter((path) => JSON.stringify(before.get(path)) !== JSON.stringify(after.get(path))).map((path) => path.slice(root.length + 1)).sort();
}

describe("Wi-Fi in the NVS image, against ESP-IDF's generator", () => {
  const spec = JSON.parse(readFileSync(join(VECTORS, "wifi-devices.json"), "utf8")) as {
    size: number;
    vectors: Record<string, { batch: { brokerUrl: string; keepalive: number; wifi: WifiSettings }; device: DeviceRecord }>;
  };
  const expected: Record<string, WifiSettings> = {
    wifi: { ssid: "Sharma चाय ☕ Pune 2.4GHz", psk: ' "Masala" chai, 2026 ' },
    "wifi-hex": { ssid: "Patel Kirana 5G", psk: "655582A8CD4ECE8162C6E672DBCB0EFE80454310EBE4B49F8F0D1E7443E83429" },
    "wifi-open": { ssid: "Free Cafe WiFi", psk: "" },
  };

  it.each(Object.keys(expected))("%s: the encoder writes the CSV the generator was given and the image it made, which the firmware reads back", (name) => {
    const { batch, device } = spec.vectors[name];
    const domains = deviceDomains(device, { broker: parseBrokerUrl(batch.brokerUrl), keepalive: batch.keepalive, wifi: batch.wifi });
    expect(encodeKvCsv(domains)).toBe(readFileSync(join(VECTORS, `${name}.csv`), "utf8"));
    const generated = new Uint8Array(readFileSync(join(VECTORS, `${name}.bin`)));
    const encoded = encodeKvImage(domains, spec.size);
    expect(encoded.findIndex((byte, i) => byte !== generated[i])).toBe(-1);
    expect(encoded.length).toBe(generated.length);
    const kv = new MemoryKv();
    loadNvsIntoKv(generated, kv);
    expect(kv.get("config", "ssid")).toBe(expected[name].ssid);
    expect(kv.get("config", "psk")).toBe(expected[name].psk);
    expect(loadConfig(kv, { ...DEFAULTS, wifi: { ssid: "build-default", psk: "build default passphrase" } }).wifi).toEqual(expected[name]);
  });

  it("names no network when neither the batch nor the row gives one", () => {
    const { device } = spec.vectors.wifi;
    const domains = deviceDomains(device, { broker: parseBrokerUrl("mqtt://h"), keepalive: 60 });
    const config = domains.find(([domain]) => domain === "config")?.[1].map(([key]) => key);
    expect(config).not.toContain("ssid");
    expect(config).not.toContain("psk");
  });
});

describe("merchants CSV: wifi_ssid, wifi_psk, wifi_open", () => {
  const defaults = { language: "en-in", wifi: CHAIN };

  it("takes each row's cells over the batch's network, spaces included", () => {
    const rows = parseMerchants(CSV, "merchants.csv", defaults);
    expect(rows.map((r) => r.wifi)).toEqual([undefined, { ssid: "Patel Kirana 5G", psk: PATEL_PSK }, { ssid: "Cafe Guest", psk: "" }, { ssid: "Store 4" }]);
  });

  it("reports every bad Wi-Fi cell with its row and never quotes a passphrase", () => {
    const secrets = ["short", "tab\there-passphrase", "open but with passphrase", "psk without network"];
    const text = [
      "merchant_id,name,vpa,product,wifi_ssid,wifi_psk,wifi_open",
      `M-1,A,a.one@okaxis,soundbox,${"x".repeat(33)},,`,
      `M-2,B,b.two@okaxis,soundbox,Net B,${secrets[0]},`,
      `M-3,C,c.three@okaxis,soundbox,Net C,"${secrets[1]}",`,
      `M-4,D,d.four@okaxis,soundbox,Net D,${secrets[2]},yes`,
      "M-5,E,e.five@okaxis,soundbox,Net E,,no",
      "M-6,F,f.six@okaxis,soundbox,\uFFFDNet,,",
    ].join("\n");
    let error: InputError | undefined;
    try {
      parseMerchants(text, "merchants.csv", defaults);
    } catch (caught) {
      error = caught as InputError;
    }
    expect(error?.problems).toEqual([
      `row 2: wifi_ssid "${"x".repeat(33)}" must be 1 to 32 bytes of UTF-8, got 33`,
      "row 3: wifi_psk must be 8 to 63 printable ASCII characters, or 64 hex digits (the one given has 5 characters)",
      "row 4: wifi_psk must be 8 to 63 printable ASCII characters, or 64 hex digits (the one given has 19 characters, not all of them printable ASCII)",
      "row 5: wifi_open yes and a wifi_psk contradict each other: an open network has no passphrase",
      'row 6: wifi_open must be yes or empty, got "no"',
      'row 7: wifi_ssid "\uFFFDNet" is not valid UTF-8',
    ]);
    for (const secret of secrets) expect(error?.message).not.toContain(secret);
  });

  it("refuses a network without a passphrase, and a passphrase without a network, when the batch has none", () => {
    const text = ["merchant_id,name,vpa,product,wifi_ssid,wifi_psk", "M-1,A,a.one@okaxis,soundbox,Lonely Net,", "M-2,B,b.two@okaxis,soundbox,,a fine passphrase"].join("\n");
    expect(() => parseMerchants(text, "merchants.csv", { language: "en-in" })).toThrow(
      new InputError(
        [
          'row 2: no passphrase for the Wi-Fi network "Lonely Net": give wifi_psk, wifi_open yes, or the batch\'s --wifi-psk-file',
          "row 3: a Wi-Fi passphrase (or wifi_open) without a network: give wifi_ssid, or --wifi-ssid for the batch",
        ],
        "merchants.csv",
      ),
    );
  });
});

describe("a batch with Wi-Fi", () => {
  let out: string;
  let first: Awaited<ReturnType<typeof provision>>;

  beforeAll(async () => {
    out = freshOut();
    first = await provision(request(out, { merchants: merchants(CSV), wifi: CHAIN }));
  });

  it("writes each device's network: the batch's, the row's own, an open one, and the row's name with the batch's passphrase", () => {
    expect(wifiIn(out, deviceOf(out, "M-001").deviceId)).toEqual(CHAIN);
    expect(wifiIn(out, deviceOf(out, "M-002").deviceId)).toEqual({ ssid: "Patel Kirana 5G", psk: PATEL_PSK });
    expect(wifiIn(out, deviceOf(out, "M-003").deviceId)).toEqual({ ssid: "Cafe Guest", psk: "" });
    expect(wifiIn(out, deviceOf(out, "M-004").deviceId)).toEqual({ ssid: "Store 4", psk: CHAIN.psk });
    expect(first.wifi).toEqual({ devices: 4, networks: 4, open: 1 });
  });

  it("keeps the passphrases out of every file but the ledger and the images (backend import, stickers, broker files, flash list), modes as before", () => {
    // JSON escapes the quotes in Patel's passphrase and nvs.csv doubles them: look for its part without any.
    const secrets = [CHAIN.psk, "xyzzy-7"];
    const holders: string[] = [];
    for (const [path, { mode }] of snapshot(out)) {
      const name = path.slice(out.length + 1);
      if (path.endsWith("/")) {
        expect([name, mode]).toEqual([name, 0o700]);
        continue;
      }
      expect([name, mode]).toEqual([name, name.endsWith("flash.sh") ? 0o700 : 0o600]);
      const bytes = readFileSync(path);
      if (secrets.some((secret) => bytes.includes(secret))) holders.push(name);
    }
    const imagesOf = (merchant: string) => [`devices/${deviceOf(out, merchant).deviceId}/nvs.bin`, `devices/${deviceOf(out, merchant).deviceId}/nvs.csv`];
    // M-003's network is open: its image holds no passphrase.
    expect(holders.sort()).toEqual(["provision.json", ...imagesOf("M-001"), ...imagesOf("M-002"), ...imagesOf("M-004")].sort());
  });

  it("changes nothing on a rerun with the same network, or with none given (the ledger keeps it)", async () => {
    const before = snapshot(out);
    const same = await provision(request(out, { merchants: merchants(CSV), wifi: { ...CHAIN } }));
    expect(same.files.created + same.files.updated).toBe(0);
    expect(same.wifiChanged).toEqual([]);
    const kept = await provision(request(out, { merchants: merchants(CSV), brokerUrl: undefined }));
    expect(kept.files.created + kept.files.updated).toBe(0);
    expect(snapshot(out)).toEqual(before);
  });

  it("on a new batch passphrase rewrites only the images that use it, and in them only config/psk; identities and the operator's files stay", async () => {
    const before = snapshot(out);
    const ledgerBefore = ledger(out);
    const imagesBefore = new Map(ledgerBefore.devices.map((d) => [d.deviceId, readImage(out, d.deviceId).entries]));
    const rotatedPsk = "chain passphrase 2027";
    const result = await provision(request(out, { merchants: merchants(CSV), wifi: { ssid: CHAIN.ssid, psk: rotatedPsk } }));
    const users = [deviceOf(out, "M-001").deviceId, deviceOf(out, "M-004").deviceId].sort();
    expect([...result.wifiChanged].sort()).toEqual(users);
    expect(result.created).toEqual([]);
    expect(result.rotated).toEqual([]);
    expect(changedFiles(out, before, snapshot(out))).toEqual(["provision.json", ...users.flatMap((id) => [`devices/${id}/nvs.bin`, `devices/${id}/nvs.csv`])].sort());
    for (const device of ledger(out).devices) {
      const was = imagesBefore.get(device.deviceId) as Map<string, string>;
      const now = readImage(out, device.deviceId).entries;
      const differing = [...now.keys()].filter((key) => now.get(key) !== was.get(key));
      expect([device.deviceId, differing]).toEqual([device.deviceId, users.includes(device.deviceId) ? ["config/psk"] : []]);
      expect([...now.keys()]).toEqual([...was.keys()]);
    }
    // The ledger changed in the batch's network only.
    expect({ ...ledger(out), settings: { ...ledger(out).settings, wifi: undefined } }).toEqual({ ...ledgerBefore, settings: { ...ledgerBefore.settings, wifi: undefined } });
    expect(ledger(out).settings.wifi).toEqual({ ssid: CHAIN.ssid, psk: rotatedPsk });
  });

  it("on a row's new network rewrites that device's image only, and --rotate leaves every network as it is", async () => {
    const before = snapshot(out);
    const patel = deviceOf(out, "M-002").deviceId;
    const moved = CSV.replace("Patel Kirana 5G", "Patel Kirana 2G");
    const result = await provision(request(out, { merchants: merchants(moved) }));
    expect(result.wifiChanged).toEqual([patel]);
    expect(changedFiles(out, before, snapshot(out))).toEqual([`devices/${patel}/nvs.bin`, `devices/${patel}/nvs.csv`, "provision.json"]);
    expect(wifiIn(out, patel)).toEqual({ ssid: "Patel Kirana 2G", psk: PATEL_PSK });

    const networks = new Map(ledger(out).devices.map((d) => [d.deviceId, wifiIn(out, d.deviceId)]));
    const rotated = await provision(request(out, { merchants: merchants(moved), rotate: true }));
    expect(rotated.rotated).toHaveLength(4);
    expect(rotated.wifiChanged).toEqual([]);
    for (const device of ledger(out).devices) expect(wifiIn(out, device.deviceId)).toEqual(networks.get(device.deviceId));
  });

  it("refuses a bad network before writing anything, and says nothing of the passphrase", async () => {
    const before = snapshot(out);
    const secret = "tooshort";
    await expect(provision(request(out, { merchants: merchants(CSV), wifi: { ssid: CHAIN.ssid, psk: secret.slice(0, 7) } }))).rejects.toThrow(
      new ProvisionError("Wi-Fi: the passphrase must be 8 to 63 printable ASCII characters, or 64 hex digits (the one given has 7 characters)"),
    );
    await expect(provision(request(out, { merchants: merchants(CSV), wifi: { ssid: "", psk: "" } }))).rejects.toThrow(/Wi-Fi: the SSID must be 1 to 32 bytes of UTF-8, got 0/);
    expect(snapshot(out)).toEqual(before);
  });
});

describe("payterm provision's Wi-Fi flags", () => {
  const base = (out: string) => ["--out", out, "--count", "1", "--product", "soundbox", "--broker", "mqtt://127.0.0.1:1883"];

  beforeEach(() => {
    delete process.env[WIFI_PSK_ENV];
  });
  afterEach(() => {
    delete process.env[WIFI_PSK_ENV];
  });

  function pskFile(contents: string): string {
    const path = `${freshOut()}.psk`;
    writeFileSync(path, contents, { mode: 0o600 });
    return path;
  }

  it.each([
    ["a passphrase flag without --wifi-ssid", () => ["--wifi-psk-file", pskFile("a fine passphrase\n")], /--wifi-psk-file is for the network --wifi-ssid names: add --wifi-ssid NAME/],
    ["--wifi-open without --wifi-ssid", () => ["--wifi-open"], /--wifi-open is for the network --wifi-ssid names/],
    ["no passphrase at all", () => ["--wifi-ssid", "Shop"], /--wifi-ssid needs the network's passphrase: --wifi-psk-file FILE, PAYTERM_WIFI_PSK, or --wifi-psk; or --wifi-open for an open network/],
    ["two passphrase sources", () => ["--wifi-ssid", "Shop", "--wifi-psk", "a fine passphrase", "--wifi-open"], /give one of --wifi-psk-file, --wifi-psk and --wifi-open, not --wifi-psk and --wifi-open/],
    ["an SSID over 32 bytes", () => ["--wifi-ssid", "चाय".repeat(11), "--wifi-open"], /--wifi-ssid must be 1 to 32 bytes of UTF-8, got 99/],
    ["an SSID with a line break", () => ["--wifi-ssid", "Shop\nNet", "--wifi-open"], /--wifi-ssid must not hold control characters/],
    ["a missing passphrase file", () => ["--wifi-ssid", "Shop", "--wifi-psk-file", scratch.file("nowhere")], /--wifi-psk-file .*nowhere: no such file/],
    ["a passphrase of 64 characters that are not all hex", () => ["--wifi-ssid", "Shop", "--wifi-psk-file", pskFile(`${"g".repeat(64)}\n`)], /the Wi-Fi passphrase from --wifi-psk-file .* must be 8 to 63 printable ASCII characters, or 64 hex digits \(the one given has 64 characters\)/],
    ["a tab in the passphrase", () => ["--wifi-ssid", "Shop", "--wifi-psk", "tab\tin the passphrase"], /from --wifi-psk must be .*not all of them printable ASCII/],
  ])("exits 2 for %s, writing nothing", async (_what, extra, message) => {
    const out = freshOut();
    const { code, err, out: stdout } = await runCli("provision", ...base(out), ...extra());
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(`${stdout}${err}`).not.toMatch(/fine passphrase|tab\tin/);
    expect(existsSync(out)).toBe(false);
  });

  it("exits 2 for a bad passphrase from the environment, naming the variable and not the value", async () => {
    process.env[WIFI_PSK_ENV] = "secret7";
    const out = freshOut();
    const { code, err } = await runCli("provision", ...base(out), "--wifi-ssid", "Shop");
    expect(code).toBe(2);
    expect(err).toMatch(/the Wi-Fi passphrase from PAYTERM_WIFI_PSK must be 8 to 63 printable ASCII characters, or 64 hex digits \(the one given has 7 characters\)/);
    expect(err).not.toContain("secret7");
    expect(existsSync(out)).toBe(false);
  });

  it("exits 1 for a merchants CSV with a bad passphrase, naming the row, as for any bad row", async () => {
    const csv = scratch.file("bad-wifi.csv");
    writeFileSync(csv, "merchant_id,name,vpa,product,wifi_ssid,wifi_psk\nM-1,Shop,shop.one@okaxis,soundbox,Shop Net,seven77\n");
    const out = freshOut();
    const { code, err } = await runCli("provision", "--out", out, "--csv", csv, "--broker", "mqtt://127.0.0.1:1883");
    expect(code).toBe(1);
    expect(err).toMatch(/bad-wifi.csv: 1 problem, nothing was written\n\s+row 2: wifi_psk must be 8 to 63/);
    expect(err).not.toContain("seven77");
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ["the first line of --wifi-psk-file", () => ["--wifi-psk-file", pskFile(" a passphrase with spaces \r\nsecond line\n")], " a passphrase with spaces "],
    [
      "PAYTERM_WIFI_PSK",
      () => {
        process.env[WIFI_PSK_ENV] = "from the environment";
        return [];
      },
      "from the environment",
    ],
    ["--wifi-psk", () => ["--wifi-psk", "on the command line"], "on the command line"],
    ["--wifi-open", () => ["--wifi-open"], ""],
  ])("takes the passphrase from %s, writes it to the image and prints no passphrase", async (_what, extra, psk) => {
    const out = freshOut();
    const { code, out: stdout, err } = await runCli("provision", ...base(out), "--wifi-ssid", "Shop Net", ...extra());
    expect(code).toBe(0);
    expect(stdout).toMatch(psk === "" ? /Wi-Fi: 1 of 1 device join a network \(1 SSID, 1 open\)/ : /Wi-Fi: 1 of 1 device join a network \(1 SSID\)/);
    if (psk !== "") expect(`${stdout}${err}`).not.toContain(psk.trim());
    expect(wifiIn(out, ledger(out).devices[0].deviceId)).toEqual({ ssid: "Shop Net", psk });
  });
});
