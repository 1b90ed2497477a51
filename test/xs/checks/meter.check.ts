/**
 * What one payment confirmation costs on XS, in computrons (XS's instruction meter: the same
 * count on every run and every machine, unlike time). Steps are measured on a warm device (one
 * confirmation has gone through first), one after another, then the whole pipeline once more.
 *
 * HMAC-SHA256 here is JavaScript (@noble/hashes); the device uses Moddable's native crypt, so
 * `hmac` is printed on its own to subtract. Likewise the store is a Map, not NVS.
 */
import { encodeAck } from "../../../firmware/payments/ack";
import { decodeEnvelope } from "../../../firmware/payments/envelope";
import { AckCourier } from "../../../firmware/payments/ack-courier";
import { Journal } from "../../../firmware/payments/journal";
import { Keyring } from "../../../firmware/payments/keyring";
import { PaymentPipeline } from "../../../firmware/payments/pipeline";
import { verifyConfirmation, paymentTag } from "../../../firmware/payments/verify";
import { currencyInfo } from "../../../firmware/money";
import { encodeCbor, type CborMap } from "../../../firmware/protocol/cbor";
import { messageTag } from "../../../firmware/protocol/tag";
import { configCommand } from "../../../firmware/commands/config";
import { CommandDispatcher } from "../../../firmware/commands/dispatcher";
import { CommandLedger } from "../../../firmware/commands/ledger";
import { Soundbox } from "../../../firmware/soundbox/soundbox";
import { englishIndia } from "../../../firmware/voice/en-in";
import { createMemoryHal } from "../../../hal/memory/index";
import { assert, check, done, meter } from "./assert";

const DEVICE = "sb-0001";
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const CLIPS = ["received", "and", "on", "hundred", "thousand", "rupee", "rupees", "paise", "prov_upi"];
for (let i = 0; i < 20; i++) CLIPS.push(`n${i}`);
for (let i = 2; i < 10; i++) CLIPS.push(`n${i}0`);

const hal = createMemoryHal({ deviceId: DEVICE, product: "soundbox", clips: CLIPS });
const keyring = new Keyring(hal.kv);
keyring.put("k1", KEY);
const journal = new Journal(hal.kv);
const audio = hal.audio;
assert(audio, "soundbox has audio");
const soundbox = new Soundbox({ ...hal, audio }, englishIndia, journal);
const acks: Uint8Array[] = [];
const pipeline = new PaymentPipeline({
  deviceId: DEVICE,
  clock: hal.clock,
  crypto: hal.crypto,
  log: hal.log,
  keyring,
  journal,
  announce: (entry) => soundbox.payment(entry),
  acks: new AckCourier({ journal, log: hal.log, publish: (payload) => acks.push(payload), publishTracked: (payload) => acks.push(payload) }),
});

function envelope(txn: string, amt: number): Uint8Array {
  const now = hal.clock.now();
  const body: CborMap = { v: 1, txn, amt, cur: "INR", prov: "UPI", ts: now - 1000, dev: DEVICE, exp: now + 60_000 };
  const bodyBytes = encodeCbor(body);
  return encodeCbor({ v: 1, kid: "k1", body: bodyBytes, tag: paymentTag(hal.crypto, KEY, bodyBytes) });
}

check("warm-up confirmation is announced", () => {
  assert(pipeline.receive(envelope("T-0001", 25050)).status === "announced", "warm-up announced");
  audio.drain();
});

check("one confirmation, step by step (decode, verify, journal, compose)", () => {
  const payload = envelope("T-0002", 123456);
  let envelopeValue = decodeEnvelope(payload);
  meter("decode", () => {
    envelopeValue = decodeEnvelope(payload);
  });
  meter("hmac", () => {
    paymentTag(hal.crypto, KEY, envelopeValue.body);
  });
  let confirmation = verifyConfirmation(envelopeValue, keyring, hal.crypto, DEVICE);
  meter("verify", () => {
    confirmation = verifyConfirmation(envelopeValue, keyring, hal.crypto, DEVICE);
  });
  let sequence = 0;
  meter("journal", () => {
    sequence = journal.append(confirmation, hal.clock.now()).sequence;
  });
  meter("compose", () => {
    const currency = currencyInfo(confirmation.currency);
    if (!currency) throw new Error("currency");
    englishIndia.payment({ amountMinor: confirmation.amountMinor, currency, provider: confirmation.provider });
    encodeAck({ status: "announced", transactionId: confirmation.transactionId, reason: undefined, sequence, at: hal.clock.now() });
  });
});

check("one confirmation through the whole pipeline (decode to ack, announcement queued)", () => {
  const payload = envelope("T-0003", 123456);
  let status = "";
  meter("confirmation", () => {
    status = pipeline.receive(payload).status;
  });
  assert(status === "announced", `status ${status}`);
  audio.drain();
});

// A command (docs/protocol.md, Commands): decode, authenticate, ledger write, the config handler
// (check, NVS write, reload), ledger update, result.
const commands = new CommandDispatcher({
  deviceId: DEVICE,
  clock: hal.clock,
  crypto: hal.crypto,
  log: hal.log,
  keyring,
  ledger: new CommandLedger(hal.kv),
  publishResult: (payload) => acks.push(payload),
});
commands.register("config", configCommand({ kv: hal.kv, defaults: { brokerHost: "b", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 }, log: hal.log, onApplied: () => {} }));

function command(id: string, args: CborMap): Uint8Array {
  const now = hal.clock.now();
  const body = encodeCbor({ v: 1, id, name: "config", args, dev: DEVICE, ts: now, exp: now + 60_000 });
  return encodeCbor({ v: 1, kid: "k1", body, tag: messageTag(hal.crypto, KEY, "command", body) });
}

check("one command through the dispatcher (config, decode to result)", () => {
  assert(commands.receive(command("C-0001", { lateMin: 9 })).status === "ok", "warm-up command ok");
  const payload = command("C-0002", { lateMin: 10 });
  let status = "";
  meter("command", () => {
    status = commands.receive(payload).status;
  });
  assert(status === "ok", `status ${status}`);
});

done();
