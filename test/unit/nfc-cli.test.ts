/**
 * payterm nfc decode, in-process through the CLI's dispatcher: frames and NDEF messages from the
 * reference vectors as JSON (exit 0), broken ones with the precise reason (exit 1), misuse as a
 * usage error (exit 2).
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeNdef } from "../../firmware/nfc/ndef";
import { verifyProvisioning } from "../../firmware/nfc/provisioning-tag";
import { nodeCrypto } from "../../host-sim/hal/node-crypto";
import { runCli } from "../support/cli";

const vectors = JSON.parse(readFileSync(new URL("../fixtures/nfc-vectors.json", import.meta.url), "utf8")) as { pn532: Record<string, string>; ndef: Record<string, string> };

async function run(...args: string[]): Promise<{ code: number; json: unknown; err: string }> {
  const { code, out, err } = await runCli(...args);
  return { code, json: out ? JSON.parse(out) : undefined, err };
}

describe("payterm nfc decode", () => {
  it("a GetFirmwareVersion answer", async () => {
    const { code, json } = await run("nfc", "decode", vectors.pn532.get_firmware_version_resp);
    expect(code).toBe(0);
    expect(json).toEqual({
      type: "frame",
      kind: "information",
      tfi: "0xD5",
      direction: "pn532-to-host",
      command: "GetFirmwareVersion",
      code: "0x03",
      data: "32010607",
      parsed: { ic: "0x32", firmware: "1.6", iso14443a: true, iso14443b: true, iso18092: true },
    });
  });

  it("a command frame, and a target list with spaces between the bytes", async () => {
    expect((await run("nfc", "decode", vectors.pn532.sam_configuration_cmd)).json).toMatchObject({ direction: "host-to-pn532", command: "SAMConfiguration", data: "011401" });
    const spaced = vectors.pn532.in_list_passive_target_resp_uid4.replace(/(..)/g, "$1 ");
    expect((await run("nfc", "decode", spaced)).json).toMatchObject({ command: "InListPassiveTarget", parsed: { uid: "6E8AE2B0", atqa: "0004", sak: "0x08" } });
  });

  it("ACK, NACK and the error frame", async () => {
    expect((await run("nfc", "decode", vectors.pn532.ack)).json).toEqual({ type: "frame", kind: "ack" });
    expect((await run("nfc", "decode", "0000FFFF0000")).json).toEqual({ type: "frame", kind: "nack" });
    expect((await run("nfc", "decode", vectors.pn532.error_frame)).json).toEqual({ type: "frame", kind: "error" });
  });

  it("an InDataExchange answer with an error status names it", async () => {
    expect((await run("nfc", "decode", "0000FF03FDD54101E900")).json).toMatchObject({ command: "InDataExchange", parsed: { status: "0x01", error: "time out, the target has not answered" } });
  });

  it("garbage before the frame and padding after it are counted", async () => {
    // Bytes that do not start with a start code read as NDEF unless told otherwise.
    expect((await run("nfc", "decode", "--as", "frame", `DEAD${vectors.pn532.ack}0000`)).json).toEqual({ type: "frame", kind: "ack", skipped: 2, trailing: 2 });
  });

  it("an NDEF message with two records", async () => {
    const { code, json } = await run("nfc", "decode", "91010C55046578616D706C652E636F6D5101085402656E68656C6C6F");
    expect(code).toBe(0);
    expect(json).toEqual({
      type: "ndef",
      records: [
        { tnf: "well-known", type: "U", payloadBytes: 12, payloadHex: "046578616d706c652e636f6d", uri: "https://example.com" },
        { tnf: "well-known", type: "T", payloadBytes: 8, payloadHex: "02656e68656c6c6f", text: "hello", lang: "en", encoding: "utf-8" },
      ],
    });
  });

  const broken: [string, string, RegExp][] = [
    ["a wrong length checksum", "0000FF06FBD50332010607E800", /^payterm: frame: LEN 0x06 \+ LCS 0xFB is not 0 mod 256$/],
    ["a wrong data checksum", "0000FF06FAD50332010607E900", /^payterm: frame: data checksum 0xE9/],
    ["a truncated frame", "0000FF06FAD50332", /^payterm: frame: cut short: it announces 12 bytes from its start code at byte 1, 7 are there$/],
    ["a LEN that lies", "0000FF20E0D50332010607E800", /^payterm: frame: cut short: it announces 38 bytes/],
    ["a target list whose UID runs out", "0000FF09F7D54B01010004080712B900", /^payterm: frame: NFCID1 of 7 bytes runs past the 7-byte answer$/],
    ["an NDEF length past the end", "D1012055046578616D706C65", /^payterm: ndef: record 0 at byte 0: payload length 32 runs past the end \(8 bytes left\)$/],
    ["a record of 1 MB declared length", "C10100100000550465", /^payterm: ndef: record 0 at byte 0: payload length 1048576 runs past the end \(2 bytes left\)$/],
    ["a bad URI code", "D101025540 61".replace(" ", ""), /^payterm: ndef: URI identifier code 0x40 is reserved$/],
    ["odd hex", "D10", /^payterm: not hex: 3 digits is not a whole number of bytes$/],
    ["not hex", "D1Z1", /^payterm: not hex: "Z" at digit 3$/],
  ];
  it.each(broken)("%s: exit 1 and why", async (_what, hex, message) => {
    const { code, json, err } = await run("nfc", "decode", hex);
    expect(code).toBe(1);
    expect(json).toBeUndefined();
    expect(err).toMatch(message);
  });

  it("--as forces the reading", async () => {
    expect((await run("nfc", "decode", "--as", "ndef", vectors.pn532.ack)).err).toMatch(/^payterm: ndef: /);
    expect((await run("nfc", "decode", "--as", "frame", vectors.ndef.uri_https_example_com)).err).toMatch(/^payterm: frame: no start code/);
  });

  it("misuse is a usage error (exit 2)", async () => {
    expect((await run("nfc", "frob")).code).toBe(2);
    expect((await run("nfc")).code).toBe(2);
    expect((await run("nfc", "encode", "00")).code).toBe(2);
    expect((await run("nfc", "decode")).code).toBe(2);
    expect((await run("nfc", "decode", "00", "FF")).code).toBe(2);
    expect((await run("nfc", "decode", "--as", "tlv", "00")).code).toBe(2);
  });
});

describe("payterm nfc sign-tag", () => {
  const state = mkdtempSync(join(tmpdir(), "payterm-nfc-cli-"));
  afterAll(() => rmSync(state, { recursive: true, force: true }));

  it("signs a provisioning tag the firmware accepts, with a key kept owner-only", async () => {
    const { code, json } = await run("nfc", "sign-tag", "--device", "qr-7", "--vpa", "new.shop@okhdfc", "--payee", "New Shop", "--ssid", "Shop", "--psk", "a long passphrase", "--broker", "mqtts://mqtt.example.net", "--seq", "42", "--state", state);
    expect(code).toBe(0);
    const tag = json as { seq: number; sets: string[]; operatorKey: string; ndef: string; type2Tlv: string };
    expect(tag.seq).toBe(42);
    expect(tag.sets).toEqual(["wifi", "broker", "merchant"]);
    expect(tag.type2Tlv.slice(0, 2)).toBe("03");
    expect(tag.type2Tlv.slice(-2)).toBe("FE");
    expect(statSync(join(state, "nfc", "provisioning.key.pem")).mode & 0o777).toBe(0o600);
    const record = decodeNdef(Uint8Array.from(Buffer.from(tag.ndef, "hex")))[0];
    const settings = verifyProvisioning(record, { crypto: nodeCrypto, operatorKey: Uint8Array.from(Buffer.from(tag.operatorKey, "hex")), deviceId: "qr-7", now: Date.now(), lastSeq: 41 });
    expect(settings).toEqual({ seq: 42, wifi: { ssid: "Shop", psk: "a long passphrase" }, broker: { host: "mqtt.example.net", port: 8883, tls: true }, merchant: { vpa: "new.shop@okhdfc", name: "New Shop" } });
    // The same key signs the next tag: devices configured with it keep accepting them.
    const again = await run("nfc", "sign-tag", "--device", "qr-7", "--ssid", "Shop", "--state", state);
    expect((again.json as { operatorKey: string }).operatorKey).toBe(tag.operatorKey);
  });

  it("refuses, before signing anything useful, a value the device would refuse (exit 1)", async () => {
    const bad = await run("nfc", "sign-tag", "--device", "qr-7", "--vpa", "no-handle", "--payee", "X", "--state", state);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^payterm: the tag would be refused \(malformed\): "merchant": .*name@handle/);
    const psk = await run("nfc", "sign-tag", "--device", "qr-7", "--ssid", "S", "--psk", "short", "--state", state);
    expect(psk.err).toMatch(/wifi\.psk/);
  });

  it.each([
    [["--vpa", "a@b"], /--device ID is required/],
    [["--device", "qr-7"], /must set something/],
    [["--device", "qr-7", "--vpa", "a@bank"], /--vpa and --payee go together/],
    [["--device", "qr-7", "--psk", "12345678"], /--psk needs --ssid/],
    [["--device", "qr-7", "--ssid", "x", "--broker", "http://x"], /--broker must be mqtt/],
    [["--device", "qr-7", "--ssid", "x", "--seq", "0"], /--seq must be a whole number/],
    [["--device", "qr-7", "--ssid", "x", "--expires-in", "soon"], /--expires-in \(seconds\) must be a whole number from 1 to 31622400, got "soon"/],
  ])("usage errors (exit 2): %j", async (flags, message) => {
    const { code, err } = await run("nfc", "sign-tag", ...(flags as string[]), "--state", state);
    expect(code).toBe(2);
    expect(err).toMatch(message as RegExp);
  });
});
