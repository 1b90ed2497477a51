import { describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkKvWrite, KV_RESERVED_KEY, KvError } from "../../hal/kv";
import { FileKv } from "../../host-sim/hal/file-kv";

describe("NVS limits (ESP-IDF NVS through Moddable preference)", () => {
  it.each([
    ["a 16-character key", "config", "sixteen_chars_xx", 1, "name"],
    ["an empty key", "config", "", 1, "name"],
    ["a 16-character domain", "sixteen_chars_xx", "k", 1, "name"],
    ["a non-integer number", "config", "k", 1.5, "range"],
    ["a number past int32", "config", "k", 2 ** 31, "range"],
    ["a 3968-byte string (3969 with NUL)", "config", "k", "x".repeat(3968), "size"],
    ["a 3969-byte blob", "config", "k", new ArrayBuffer(3969), "size"],
    ["the key the ESP32 store keeps its intent record under", "config", KV_RESERVED_KEY, 1, "name"],
  ])("refuses %s", (_what, domain, key, value, code) => {
    expect(() => checkKvWrite(domain, key, value as never)).toThrow(KvError);
    try {
      checkKvWrite(domain, key, value as never);
    } catch (error) {
      expect((error as KvError).code).toBe(code);
    }
  });

  it.each([
    ["a 15-character key", "config", "fifteen_chars_x", 1],
    ["int32 bounds", "config", "k", -(2 ** 31)],
    ["a 3967-byte string", "config", "k", "x".repeat(3967)],
    ["a 3968-byte blob", "config", "k", new ArrayBuffer(3968)],
    ["a boolean", "config", "k", true],
  ])("accepts %s", (_what, domain, key, value) => {
    expect(() => checkKvWrite(domain, key, value as never)).not.toThrow();
  });

  it("counts UTF-8 bytes, not characters", () => {
    expect(() => checkKvWrite("d", "k", "\u0928".repeat(1322))).not.toThrow();
    expect(() => checkKvWrite("d", "k", "\u0928".repeat(1323))).toThrow("exceeds 3968");
  });
});

describe("the simulator's file-backed store", () => {
  it("persists every type and reads it back after a restart", () => {
    const path = join(mkdtempSync(join(tmpdir(), "payterm-kv-")), "nvs.json");
    const kv = new FileKv(path);
    kv.set("config", "host", "127.0.0.1");
    kv.set("config", "port", 1883);
    kv.set("config", "tls", false);
    kv.set("keys", "k1", new Uint8Array([1, 2, 3]).buffer);
    const again = new FileKv(path);
    expect(again.get("config", "host")).toBe("127.0.0.1");
    expect(again.get("config", "port")).toBe(1883);
    expect(again.get("config", "tls")).toBe(false);
    expect([...new Uint8Array(again.get("keys", "k1") as ArrayBuffer)]).toEqual([1, 2, 3]);
    again.delete("config", "host");
    expect(new FileKv(path).keys("config").sort()).toEqual(["port", "tls"]);
  });

  it("refuses a damaged file with a clear error", () => {
    const path = join(mkdtempSync(join(tmpdir(), "payterm-kv-")), "nvs.json");
    writeFileSync(path, "{not json");
    expect(() => new FileKv(path)).toThrow(/nvs.json is not valid JSON/);
  });
});
