/**
 * Signed updates on XS: the firmware (startDevice and firmware/update) over the in-memory HAL,
 * whose update flash (hal/memory/update.ts) survives simulated power cuts, and a release server
 * written here from docs/protocol.md, independent of the firmware's code:
 *
 *   signed   = CBOR {v: 1, body: bstr, sig: ECDSA-P256-SHA256("payterm/v1/release\0" || body)}
 *   body     = CBOR {v: 1, kind, prod, ver, min, size, sha, chunk, blk, bhs, lang?}
 *   upd/get  {v, rel, bh: true} | {v, rel, off, n}  ->  upd/data {v, rel, bh} | {v, rel, off, d}
 *
 * Images here are 12 KiB: "PTIMG <version>\n" and pseudo-random bytes, so the running version is
 * read from the slot that booted, as a real device's would be from its image.
 */
import { p256 } from "@noble/curves/nist.js";
import type { DeviceDefaults } from "../../../firmware/config";
import { startDevice, type Device } from "../../../firmware/device";
import { concatBytes, toHex, utf8Decode, utf8Encode } from "../../../firmware/protocol/bytes";
import { decodeCbor, encodeCbor, isCborMap, type CborMap, type CborValue } from "../../../firmware/protocol/cbor";
import { Keyring } from "../../../firmware/payments/keyring";
import { compareVersionText, parseVersion } from "../../../firmware/update/version";
import {
  createMemoryHal,
  ManualClock,
  MemoryBroker,
  MemoryKv,
  MemoryMqtt,
  MemoryUpdateFlash,
  SeededRandom,
  SoftCrypto,
  type MemoryHal,
} from "../../../hal/memory/index";
import { assert, check, done, equal, info } from "./assert";
import { clipBlocks, writePack } from "./pack-writer";

const DEVICE = "sb-upd-1";
const TOPIC = { get: `pt/v1/${DEVICE}/upd/get`, data: `pt/v1/${DEVICE}/upd/data`, state: `pt/v1/${DEVICE}/upd/state` };
const crypto = new SoftCrypto(5);
const OPERATOR_SECRET = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 3) & 0xff);
const OPERATOR_KEY = p256.getPublicKey(OPERATOR_SECRET, false);
const OTHER_SECRET = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 77) & 0xff);
const SLOT_BYTES = 16 * 1024;
/** Four blocks, the last one short. (SHA-256 in JavaScript on XS costs about 6 ms a KiB: keep it small.) */
const IMAGE_BYTES = 3 * 4096 + 100;
const CHUNK = 512;
const BLOCK = 4096;
/** Enough for the boot prompt to finish playing (the switch waits for quiet) and the restart. */
const SWITCH_MS = 3000;
const DEFAULTS: DeviceDefaults = {
  brokerHost: "broker.test",
  brokerPort: 1883,
  brokerTls: false,
  language: "en-in",
  keepalive: 30,
  updateKey: toHex(OPERATOR_KEY),
  updateTrialBoots: 3,
  updateHealthMs: 30_000,
};

function map(value: CborValue): CborMap {
  assert(isCborMap(value), "expected a CBOR map");
  return value;
}

function image(version: string, seed: number, length = IMAGE_BYTES): Uint8Array {
  const bytes = new SeededRandom(seed).fill(new Uint8Array(length));
  bytes.set(utf8Encode(`PTIMG ${version}\n`));
  return bytes;
}

function versionIn(slot: Uint8Array): string {
  const end = slot.subarray(0, 32).indexOf(0x0a);
  const match = /^PTIMG (.+)$/.exec(utf8Decode(slot.subarray(0, end < 0 ? 0 : end)) ?? "");
  return match ? match[1] : "unknown";
}

interface Release {
  signed: Uint8Array;
  releaseId: string;
  image: Uint8Array;
  table: Uint8Array;
}

interface ReleaseOptions {
  version: string;
  min?: string;
  image?: Uint8Array;
  product?: string;
  kind?: string;
  lang?: string;
  secret?: Uint8Array;
  tamper?: (body: CborMap) => void;
}

/** The operator's side, straight from the protocol document. */
function release(options: ReleaseOptions): Release {
  const bytes = options.image ?? image(options.version, options.version.length * 7 + options.version.charCodeAt(0));
  const hashes: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += BLOCK) hashes.push(crypto.sha256(bytes.subarray(offset, offset + BLOCK)));
  const table = concatBytes(...hashes);
  const body: CborMap = {
    v: 1,
    kind: options.kind ?? "firmware",
    prod: options.product ?? "soundbox",
    ver: options.version,
    min: options.min ?? "1.0.0",
    size: bytes.length,
    sha: crypto.sha256(bytes),
    chunk: CHUNK,
    blk: BLOCK,
    bhs: crypto.sha256(table),
  };
  if (options.lang) body.lang = options.lang;
  const bodyBytes = encodeCbor(body);
  const signature = p256.sign(concatBytes(utf8Encode("payterm/v1/release\u0000"), bodyBytes), options.secret ?? OPERATOR_SECRET, { prehash: true });
  if (options.tamper) options.tamper(body);
  const sent = options.tamper ? encodeCbor(body) : bodyBytes;
  return { signed: encodeCbor({ v: 1, body: sent, sig: signature }), releaseId: toHex(crypto.sha256(sent).subarray(0, 8)), image: bytes, table };
}

/** The release server: answers upd/get from the releases it knows; faults on demand. */
class Server {
  readonly releases = new Map<string, Release>();
  readonly requests: CborMap[] = [];
  /** Chunk offsets to send with one bit flipped, once each. */
  readonly corruptOnce = new Set<number>();
  silent = false;
  /** Chunks left to send before falling silent; undefined for no limit. */
  chunkBudget: number | undefined;
  readonly #mqtt: MemoryMqtt;

  constructor(broker: MemoryBroker) {
    this.#mqtt = new MemoryMqtt(broker);
    this.#mqtt.connect(
      { host: "broker.test", port: 1883, clientId: "release-server", clean: true, keepalive: 30 },
      { onConnect: () => {}, onDisconnect: () => {}, onMessage: (message, settle) => { settle(); this.#answer(message.topic, message.payload); } },
    );
    this.#mqtt.subscribe("pt/v1/+/upd/get", 0);
  }

  add(r: Release): void {
    this.releases.set(r.releaseId, r);
  }

  chunkRequests(): CborMap[] {
    return this.requests.filter((r) => r.off !== undefined);
  }

  #answer(topic: string, payload: Uint8Array): void {
    const request = map(decodeCbor(payload));
    this.requests.push(request);
    if (this.silent) return;
    const reply = topic.replace(/\/upd\/get$/, "/upd/data");
    const send = (value: CborMap) => this.#mqtt.publish(reply, encodeCbor(value), { qos: 0, retain: false });
    const r = this.releases.get(String(request.rel));
    if (!r) return send({ v: 1, rel: String(request.rel), err: "unknown_release" });
    if (request.bh === true) return send({ v: 1, rel: r.releaseId, bh: r.table });
    const start = Number(request.off);
    for (let i = 0; i < Number(request.n); i++) {
      const off = start + i * CHUNK;
      if (off >= r.image.length) break;
      if (this.chunkBudget !== undefined && this.chunkBudget-- <= 0) return;
      const data = r.image.slice(off, off + CHUNK);
      if (this.corruptOnce.delete(off)) data[7] ^= 0x10;
      send({ v: 1, rel: r.releaseId, off, d: data });
    }
  }
}

// The world: one broker, the server, a watcher of the retained update state, one device.
let refuseSubscriptions = false;
const broker = new MemoryBroker({ authorizeSubscribe: (client, filter) => !(refuseSubscriptions && client === DEVICE && filter.endsWith("/cmd")) });
const server = new Server(broker);
const clock = new ManualClock();
const flash = new MemoryUpdateFlash({ slotBytes: SLOT_BYTES, voiceBytes: SLOT_BYTES, factoryImage: image("1.0.0", 1) });
let kv = new MemoryKv();
let hal: MemoryHal;
let device: Device;
let boots = 0;

function boot(overrides: Partial<DeviceDefaults> = {}): void {
  boots++;
  // The version comes from the image the boot path picks: peek at the record as it will.
  const record = flash.record;
  const slot = record.trial && record.trialBoots >= record.trialLimit ? (record.slot === 0 ? 1 : 0) : record.slot;
  hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox", broker, clock, kv, seed: boots, clips: ["hold"], updateFlash: flash, firmwareVersion: versionIn(flash.slots[slot]) });
  device = startDevice(hal, { ...DEFAULTS, ...overrides });
}

/** Power cut: the device stops dead, its connection drops; flash and NVS keep what they hold. */
function powerCut(): void {
  broker.cut(DEVICE, "power lost");
  broker.flush();
  kv = MemoryKv.restore(hal.kv.snapshot());
}

/** A restart the firmware asked for: the same as a power cut, then boot. */
function restartIfAsked(): boolean {
  if (hal.system.restarts === 0) return false;
  powerCut();
  boot();
  return true;
}

/** Runs the network, the speaker and `ms` of virtual time, timer by timer. */
function run(ms = 0): void {
  broker.flush();
  const end = clock.monotonic() + ms;
  for (;;) {
    const due = hal.timers.nextDue();
    const next = due === undefined || due > end ? end : due;
    const step = next - clock.monotonic();
    hal.timers.advance(step);
    hal.audio?.advance(step);
    broker.flush();
    if (next === end) return;
  }
}

function state(): CborMap {
  const retained = broker.retained(TOPIC.state);
  assert(retained, "a retained update state");
  return map(decodeCbor(retained.payload));
}

const states: string[] = [];
const watcher = new MemoryMqtt(broker);
watcher.connect(
  { host: "broker.test", port: 1883, clientId: "watcher", clean: true, keepalive: 30 },
  { onConnect: () => {}, onDisconnect: () => {}, onMessage: (m, settle) => { settle(); if (m.topic === TOPIC.state) states.push(String(map(decodeCbor(m.payload)).st)); } },
);
watcher.subscribe(TOPIC.state, 1);

check("SemVer 2.0.0 precedence (section 11 example) and malformed versions", () => {
  const ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.10.0", "2.0.0"];
  for (let i = 1; i < ordered.length; i++) equal(compareVersionText(ordered[i - 1], ordered[i]) < 0, true, `${ordered[i - 1]} < ${ordered[i]}`);
  equal(compareVersionText("1.0.0+build.7", "1.0.0"), 0, "build metadata does not count");
  for (const bad of ["1.0", "01.0.0", "1.0.0-01", "1.0.0-", "v1.0.0", "1.0.0.0", "", "1.0.0-a..b"]) equal(parseVersion(bad), undefined, JSON.stringify(bad));
});

check("factory boot: slot 0, not on trial, online and subscribed", () => {
  boot();
  run();
  equal(device.session.ready, true, "session ready");
  equal(device.updates?.boot, { slot: 0, trial: false, trialBoots: 0, trialLimit: 0, rolledBack: false }, "boot state");
  equal(hal.system.firmwareVersion, "1.0.0", "running version");
});

const offered = (r: Release) => device.updates?.offer(r.signed);

check("a release signed with another key is refused (bad_signature) and nothing is written", () => {
  const r = release({ version: "1.1.0", secret: OTHER_SECRET });
  equal(offered(r), { accepted: false, reason: "bad_signature", detail: "signature does not verify with the operator key" });
  run();
  equal([state().st, state().rc], ["refused", "bad_signature"], "retained state");
  equal(flash.bytesWritten, 0, "bytes written");
});

check("a body changed after signing is refused (bad_signature)", () => {
  const r = release({ version: "1.1.0", tamper: (body) => { body.size = Number(body.size) - 1; } });
  equal(offered(r)?.accepted, false);
  run();
  equal(state().rc, "bad_signature");
});

const small = image("1.1.0", 9, 1000);
const REFUSALS: [string, ReleaseOptions, string][] = [
  ["a release for the QR display", { version: "1.1.0", product: "qr-display", image: small }, "wrong_product"],
  ["the version already running", { version: "1.0.0", image: small }, "current"],
  ["a downgrade", { version: "0.9.0", min: "0.9.0", image: small }, "downgrade"],
  ["a manifest whose version is below its own minimum", { version: "1.1.0", min: "1.2.0", image: small }, "bad_manifest"],
  ["an image larger than the slot", { version: "1.1.0", image: new Uint8Array(SLOT_BYTES + 1) }, "too_large"],
];
for (const [what, options, reason] of REFUSALS) {
  check(`${what} is refused (${reason})`, () => {
    const result = offered(release(options));
    equal(result?.accepted === false ? result.reason : "accepted", reason, "offer result");
    run();
    equal([state().st, state().rc], ["refused", reason], "retained state");
  });
}

check("bytes that are not a manifest are refused (bad_manifest) and the device keeps running", () => {
  for (const junk of [utf8Encode("not cbor"), encodeCbor({ v: 1, body: new Uint8Array(3) }), new Uint8Array(2000)]) equal(device.updates?.offer(junk)?.accepted, false);
  run();
  equal(state().rc, "bad_manifest");
  equal(device.session.ready, true, "still online");
});

const V110 = release({ version: "1.1.0", min: "1.0.0" });
server.add(V110);

check("a good release downloads in requested chunks, each block checked, into the inactive slot", () => {
  states.length = 0;
  server.corruptOnce.add(2 * BLOCK + 2 * CHUNK);
  equal(offered(V110), { accepted: true, releaseId: V110.releaseId });
  run(SWITCH_MS);
  equal(server.requests[0], { v: 1, rel: V110.releaseId, bh: true }, "first request: the block table");
  equal(server.chunkRequests()[0], { v: 1, rel: V110.releaseId, off: 0, n: 8 }, "then a window of chunks");
  equal(toHex(crypto.sha256(flash.slots[1].subarray(0, IMAGE_BYTES))), toHex(crypto.sha256(V110.image)), "slot 1 holds the image");
});

check("the corrupted chunk failed its block's hash, and that block alone was fetched again", () => {
  equal(hal.log.named("update-block-mismatch").map((e) => e.fields.block), [2], "mismatched blocks");
  const again = server.chunkRequests().filter((r) => r.off === 2 * BLOCK);
  equal(again.length, 2, "requests starting at block 2");
});

check("the slot is read back and verified, then the device switches and restarts", () => {
  equal(states.filter((s) => s === "downloading").length > 3, true, "progress reports");
  equal(states.slice(-2), ["ready", "switching"], "last states");
  equal(hal.system.restarts, 1, "restart asked");
  equal(flash.record, { slot: 1, trial: true, trialBoots: 0, trialLimit: 3, rolledBack: false }, "boot record");
});

check("power cut after the switch, before the image confirmed: the next boot is trial boot 2", () => {
  refuseSubscriptions = true;
  restartIfAsked();
  run();
  equal(device.updates?.boot.trialBoots, 1, "first trial boot");
  equal(device.session.ready, false, "a refused subscription is not ready");
  powerCut();
  refuseSubscriptions = false;
  boot();
  equal(device.updates?.boot, { slot: 1, trial: true, trialBoots: 2, trialLimit: 3, rolledBack: false }, "boot state");
});

check("connected and subscribed: the new image confirms, its floor is recorded", () => {
  run();
  equal(hal.system.firmwareVersion, "1.1.0", "running version");
  equal(flash.record.trial, false, "trial over");
  equal([state().st, state().ver, state().fw], ["confirmed", "1.1.0", "1.1.0"], "retained state");
  equal(hal.kv.get("update", "floor"), "1.0.0", "floor");
  equal(hal.kv.keys("update"), ["floor"], "nothing else left in the records");
});

const V120 = release({ version: "1.2.0", min: "1.1.0" });
server.add(V120);

check("power cut during the download: the next boot resumes at the last good block", () => {
  server.requests.length = 0;
  server.chunkBudget = BLOCK / CHUNK + 5;
  offered(V120);
  run();
  equal(device.updates?.offset, BLOCK + 5 * CHUNK, "bytes in the slot at the cut");
  equal(hal.kv.get("update", "off"), BLOCK, "saved progress: whole blocks only");
  powerCut();
  server.requests.length = 0;
  server.chunkBudget = undefined;
  boot();
  run();
  equal(server.chunkRequests()[0].off, BLOCK, "first request after the boot");
  equal(server.requests.filter((r) => r.bh === true).length, 0, "the block table was kept");
  run(SWITCH_MS);
  assert(restartIfAsked(), "switched");
  run();
  equal([state().st, hal.system.firmwareVersion], ["confirmed", "1.2.0"], "state and version");
  equal(hal.kv.get("update", "floor"), "1.1.0", "floor raised");
});

check("a link cut during the download resumes at the exact byte, not the block", () => {
  const V130 = release({ version: "1.3.0", min: "1.1.0" });
  server.add(V130);
  server.chunkBudget = BLOCK / CHUNK + 5;
  offered(V130);
  run();
  const before = device.updates?.offset ?? 0;
  equal(before, BLOCK + 5 * CHUNK, "offset at the cut");
  server.requests.length = 0;
  server.chunkBudget = undefined;
  broker.cut(DEVICE);
  run(10);
  equal(device.session.state, "waiting", "session down");
  run(2000);
  equal(device.session.ready, true, "reconnected");
  equal(server.chunkRequests()[0]?.off, before, "the first request after reconnecting");
  run(SWITCH_MS);
  assert(restartIfAsked(), "switched");
  run();
  equal(hal.system.firmwareVersion, "1.3.0");
});

check("power cut after the download, before the switch: the slot is checked again, then switched", () => {
  const V140 = release({ version: "1.4.0", min: "1.2.0" });
  server.add(V140);
  const audio = hal.audio;
  assert(audio, "soundbox audio");
  run(5000);
  // Two seconds of speech hold the switch back.
  for (let i = 0; i < 8; i++) audio.enqueueClip("hold");
  offered(V140);
  run(50);
  equal([device.updates?.phase, state().st], ["ready", "ready"], "ready, waiting for quiet");
  powerCut();
  server.requests.length = 0;
  boot();
  run(SWITCH_MS);
  equal(server.requests.length, 0, "nothing fetched again");
  equal(hal.log.named("update-verified").length, 1, "verified again from the slot");
  assert(restartIfAsked(), "switched");
  run();
  equal(hal.system.firmwareVersion, "1.4.0");
});

check("a new image that never becomes healthy restarts itself; after 3 trial boots the old one runs", () => {
  const V150 = release({ version: "1.5.0", min: "1.5.0" });
  server.add(V150);
  offered(V150);
  run(SWITCH_MS);
  assert(restartIfAsked(), "switched");
  refuseSubscriptions = true;
  const trialBoots: number[] = [];
  for (let i = 0; i < 3; i++) {
    trialBoots.push(device.updates?.boot.trialBoots ?? -1);
    run(DEFAULTS.updateHealthMs ?? 0);
    equal(hal.log.named("update-unhealthy").length, 1, `unhealthy on trial boot ${i + 1}`);
    assert(restartIfAsked(), "restarted");
  }
  refuseSubscriptions = false;
  equal(trialBoots, [1, 2, 3], "trial boots");
  equal(device.updates?.boot.rolledBack, true, "rolled back");
  run();
  equal([hal.system.firmwareVersion, state().st, state().rc, state().ver], ["1.4.0", "rolled-back", "rolled_back", "1.5.0"], "version and state");
  equal(hal.kv.get("update", "floor"), "1.2.0", "the failed release did not raise the floor");
});

check("a crash-looping image (dies before it can connect) is rolled back after its 3 boots", () => {
  const V151 = release({ version: "1.5.1", min: "1.2.0" });
  server.add(V151);
  offered(V151);
  run(SWITCH_MS);
  assert(restartIfAsked(), "switched");
  for (let i = 0; i < 3; i++) {
    powerCut();
    boot();
  }
  equal(device.updates?.boot.rolledBack, true, "rolled back on the 4th boot");
  run();
  equal([hal.system.firmwareVersion, state().st], ["1.4.0", "rolled-back"]);
});

check("below the floor is refused even when downgrades are allowed", () => {
  powerCut();
  boot({ allowDowngrade: true });
  run();
  const old = release({ version: "1.1.5", min: "1.1.0", image: small });
  equal(offered(old), { accepted: false, reason: "below_floor", detail: "1.1.5 is below the floor 1.2.0" });
  const allowed = release({ version: "1.3.5", min: "1.2.0", image: small });
  equal(offered(allowed)?.accepted, true, "a downgrade above the floor, with the policy on");
});

check("a voice pack installs into the voice area without a restart; one that is not a pack is refused (bad_pack)", () => {
  powerCut();
  boot();
  run();
  const junk = release({ version: "2.0.0", kind: "voice-pack", lang: "ta", image: new SeededRandom(77).fill(new Uint8Array(5000)) });
  server.add(junk);
  offered(junk);
  run(100);
  equal([state().st, state().rc], ["failed", "bad_pack"], "junk refused");
  equal(hal.update?.voice?.active(), undefined, "nothing installed");
  const clips = ["n1", "n2", "received"].map((name, i) => ({ name, blocks: clipBlocks(i, 20) }));
  const pack = release({ version: "2.0.0", kind: "voice-pack", lang: "ta", image: writePack(crypto, "ta", "2.0.0", clips) });
  server.add(pack);
  offered(pack);
  run(100);
  equal(hal.update?.voice?.active(), { language: "ta", version: "2.0.0", size: pack.image.length }, "installed pack");
  equal([state().st, state().kind], ["installed", "voice-pack"], "retained state");
  equal(hal.system.restarts, 0, "no restart");
  // The merchant speaks en-in: the Tamil pack waits for a change of language.
  equal(hal.log.named("voice-pack-unused").map((e) => e.fields.installed), ["ta"], "unused");
  const head = new Uint8Array(16);
  hal.update?.voice?.readActive(0, head);
  equal(head, pack.image.subarray(0, 16), "the pack's bytes");
  equal(offered(pack), { accepted: false, reason: "current", detail: "2.0.0 is already installed" }, "offered again");
});

check("the update command starts an update, or answers update_refused with the update's reason", () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  new Keyring(hal.kv).put("k1", key);
  const results: CborMap[] = [];
  const service = new MemoryMqtt(broker);
  service.connect(
    { host: "broker.test", port: 1883, clientId: "service", clean: true, keepalive: 30 },
    { onConnect: () => {}, onDisconnect: () => {}, onMessage: (m, settle) => { settle(); results.push(map(decodeCbor(m.payload))); } },
  );
  service.subscribe(`pt/v1/${DEVICE}/cmdack`, 1);
  const command = (id: string, m: Uint8Array) => {
    const now = clock.now();
    const body = encodeCbor({ v: 1, id, name: "update", args: { m }, dev: DEVICE, ts: now, exp: now + 60_000 });
    const tag = crypto.hmacSha256(key, concatBytes(utf8Encode("payterm/v1/cmd\u0000"), body));
    service.publish(`pt/v1/${DEVICE}/cmd`, encodeCbor({ v: 1, kid: "k1", body, tag }), { qos: 1, retain: false });
    run();
    return results[results.length - 1];
  };
  const refused = command("c-1", release({ version: "1.3.9", min: "1.2.0", image: small }).signed);
  equal([refused.st, refused.rc, refused.msg], ["rejected", "update_refused", "downgrade: 1.3.9 is older than 1.4.0, and downgrades are not allowed"], "refused");
  const unknown = release({ version: "1.7.0", min: "1.2.0", image: small });
  const started = command("c-2", unknown.signed);
  equal([started.st, map(started.res as CborValue).rel], ["ok", unknown.releaseId], "started");
  equal([state().st, state().rc], ["failed", "unknown_release"], "the server does not have it");
});

check("junk on upd/data is dropped with an event; the device keeps going", () => {
  const junk = new MemoryMqtt(broker);
  junk.connect({ host: "b", port: 1, clientId: "junk", clean: true, keepalive: 30 }, { onConnect: () => {}, onDisconnect: () => {}, onMessage: () => {} });
  const V160 = release({ version: "1.6.0", min: "1.2.0" });
  server.add(V160);
  server.silent = true;
  offered(V160);
  broker.flush();
  for (const payload of [utf8Encode("x"), encodeCbor({ v: 1, rel: "zz", off: 0, d: new Uint8Array(1) }), encodeCbor({ v: 2 }), new Uint8Array(5000)])
    junk.publish(TOPIC.data, payload, { qos: 0, retain: false });
  broker.flush();
  equal(hal.log.named("update-data-rejected").length, 4, "rejected messages");
  equal(device.session.ready, true, "still online");
  server.silent = false;
});

check("a silent server: the device asks again with backoff, then gives up keeping its progress", () => {
  server.silent = true;
  const before = server.requests.length;
  run(5000 * (1 + 2 + 4 + 8 + 16 * 5) + 100);
  equal(server.requests.length - before, 8, "requests after the first");
  equal([state().st, state().rc], ["failed", "timeout"], "retained state");
  server.silent = false;
  info(`${boots} boots, ${flash.bytesWritten} bytes written to flash`);
});

done();
