/**
 * The NFC driver and NDEF on XS: frames and NDEF from the reference vectors, then the reader
 * (firmware/nfc) against the simulated PN532 (host-sim/nfc, neutral code that speaks the real
 * byte protocol) on I2C and UART, in virtual time: tags, payment instruments, a phone reading the emulated tag, and
 * damaged frames the reader recovers from.
 */
import { COMMAND, parseFirmwareVersion, parseTargetA, SAM_NORMAL } from "../../../firmware/nfc/commands";
import { FRAME, FrameScan, scanFrame, writeFrame } from "../../../firmware/nfc/frame";
import { decodeNdef, encodeNdef, parseText, parseUri, textRecord, uriRecord } from "../../../firmware/nfc/ndef";
import { NfcReader, type TagInfo } from "../../../firmware/nfc/reader";
import type { NfcError } from "../../../firmware/nfc/errors";
import { ManualClock, ManualTimers } from "../../../hal/memory/clock";
import { NTAG_URI, SimulatedNfc, TYPE4_TEXT, TYPE4_URI } from "../../../host-sim/nfc/simulated-nfc";
import { ntag213, ndefTlv } from "../../../host-sim/nfc/tags";
import { assert, check, done, equal, hex, print, throws } from "./assert";

const resetMeter = (globalThis as { resetMeter?: (limit: number, index: number) => number }).resetMeter;

/** Computrons of `fn` on XS (printed for npm run bench:nfc); on Node it just runs. */
function measure<T>(name: string, fn: () => T): T {
  if (!resetMeter) return fn();
  resetMeter(0, 0);
  const result = fn();
  print(`meter ${name} ${resetMeter(0, 0)}`);
  return result;
}

const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => (b < 16 ? "0" : "") + b.toString(16)).join("").toUpperCase();

check("PN532 command frames match the vectors", () => {
  const out = new Uint8Array(64);
  equal(toHex(out.subarray(0, writeFrame(out, FRAME.HOST_TO_PN532, COMMAND.GET_FIRMWARE_VERSION, new Uint8Array(0)))), "0000FF02FED4022A00");
  equal(toHex(out.subarray(0, writeFrame(out, FRAME.HOST_TO_PN532, COMMAND.SAM_CONFIGURATION, SAM_NORMAL))), "0000FF05FBD4140114010200");
  equal(toHex(out.subarray(0, writeFrame(out, FRAME.HOST_TO_PN532, COMMAND.IN_LIST_PASSIVE_TARGET, Uint8Array.of(1, 0)))), "0000FF04FCD44A0100E100");
});

check("PN532 response frames from the vectors parse, behind garbage too", () => {
  const scan = new FrameScan();
  const version = hex("DEAD00FF13 0000FF06FAD50332010607E800");
  equal(scanFrame(version, 0, version.length, 265, scan), "frame");
  equal(parseFirmwareVersion(version.subarray(scan.dataStart + 1, scan.dataStart + scan.dataLength)), { ic: 0x32, version: 1, revision: 6, support: 7 });
  const uid7 = hex("0000FF0FF1D54B010100440007047BCB51962280C000");
  equal(scanFrame(uid7, 0, uid7.length, 265, scan), "frame");
  equal(parseTargetA(uid7.subarray(scan.dataStart + 1, scan.dataStart + scan.dataLength))?.uid, hex("047BCB51962280"));
  const bad = hex("0000FF06FAD50332010607E900");
  equal(scanFrame(bad, 0, bad.length, 265, scan), "none");
  equal(scan.problem?.code, "frame-data-checksum");
});

check("NDEF vectors encode and decode; a 1 MB declared record is refused", () => {
  equal(toHex(encodeNdef([uriRecord("https://example.com")])), "D1010C55046578616D706C652E636F6D");
  equal(toHex(encodeNdef([textRecord("hello", "en")])), "D101085402656E68656C6C6F");
  const two = decodeNdef(encodeNdef([uriRecord("upi://pay?pa=a@b"), textRecord("नमस्ते", "hi")]));
  equal([parseUri(two[0]), parseText(two[1]).text], ["upi://pay?pa=a@b", "नमस्ते"]);
  throws(() => decodeNdef(hex("C1 01 00100000 55 04 6578616D706C65")), "payload length 1048576 runs past the end (8 bytes left)");
});

function rig(bus: "i2c" | "uart") {
  const timers = new ManualTimers(new ManualClock());
  const nfc = new SimulatedNfc({ timers, bus });
  const arrivals: TagInfo[] = [];
  const errors: NfcError[] = [];
  let leaves = 0;
  const reader = new NfcReader({
    transport: nfc.transport,
    timers,
    onArrive: (tag) => arrivals.push(tag),
    onLeave: () => leaves++,
    onError: (error) => errors.push(error),
  });
  timers.advance(300);
  const tap = (kind: Parameters<SimulatedNfc["placeTag"]>[0]) => {
    nfc.placeTag(kind);
    timers.advance(800);
    nfc.removeTag();
    timers.advance(800);
  };
  return { timers, nfc, reader, arrivals, errors, tap, leaves: () => leaves };
}

for (const bus of ["i2c", "uart"] as const) {
  check(`${bus}: the reader reads an NTAG213, a card and a Type 4 tag, once per tap`, () => {
    const r = rig(bus);
    equal(r.reader.firmware?.ic, 0x32, "PN532 identified");
    r.tap("ntag213-uri");
    r.tap("card-uid4");
    r.tap("type4-ndef");
    equal(r.arrivals.map((t) => t.kind), ["type2", "card", "type4"]);
    equal(r.leaves(), 3, "leaves");
    const [ntag, card, type4] = r.arrivals;
    equal(parseUri((ntag.records ?? [])[0]), NTAG_URI);
    equal(card.uid, hex("6E8AE2B0"));
    equal([parseUri((type4.records ?? [])[0]), parseText((type4.records ?? [])[1]).text], [TYPE4_URI, TYPE4_TEXT]);
    equal(r.errors.length, 0, "errors");
  });

  check(`${bus}: a payment card and a phone wallet name their payment application (PPSE)`, () => {
    const r = rig(bus);
    r.tap("payment-card");
    r.tap("phone-wallet");
    equal(
      r.arrivals.map((t) => [t.kind, toHex(t.uid), t.aid ? toHex(t.aid) : "", t.ndef === undefined]),
      [
        ["type4", "5A317C09", "A0000005241010", true],
        ["type4", "08B7441E", "A0000000031010", true],
      ],
    );
    equal(r.errors.length, 0, "errors");
  });

  check(`${bus}: a phone reads the presented UPI link from the emulated tag`, () => {
    const r = rig(bus);
    const link = "upi://pay?pa=demo.store@okaxis&pn=Demo%20Store&am=250.00&cu=INR";
    r.reader.present(link);
    r.nfc.placeTag("phone");
    r.timers.advance(2000);
    equal(r.nfc.phone.reads.map((read) => read.uri), [link]);
  });

  check(`${bus}: a damaged frame and a lost ACK cost a retry, not the tag`, () => {
    const r = rig(bus);
    let damaged = 0;
    let dropped = 0;
    r.nfc.faults.tamper = (frame, role) => {
      if (role === "ack" && dropped++ === 3) return undefined;
      if (role === "response" && frame[6] === 0x41 && damaged++ === 0) {
        const copy = frame.slice();
        copy[copy.length - 2] ^= 0x5a;
        return copy;
      }
      return frame;
    };
    r.tap("ntag213-uri");
    equal(r.arrivals.map((t) => (t.records ? parseUri(t.records[0]) : t.ndefError?.message)), [NTAG_URI]);
    assert(r.reader.linkCounters.resends >= 1, "a resend after the lost ACK");
  });

  check(`${bus}: a stuck controller is aborted and answers again`, () => {
    const r = rig(bus);
    r.nfc.chip.stick();
    r.timers.advance(1500);
    equal(r.errors.map((e) => e.code), ["response-timeout"]);
    r.tap("type4-ndef");
    equal(r.arrivals.length, 1, "arrivals after recovery");
  });
}

check("metered: frame scan, NDEF decode and encode, and whole tag reads in virtual time", () => {
  const scan = new FrameScan();
  const frame = hex("0000FF0FF1D54B010100440007047BCB51962280C000");
  measure("frame-scan", () => scanFrame(frame, 0, frame.length, 265, scan));
  const message = encodeNdef([uriRecord("upi://pay?pa=demo.store@okaxis&pn=Demo%20Store&am=250.00&cu=INR&tr=T123"), textRecord("member 0042", "en")]);
  measure("ndef-decode", () => decodeNdef(message));
  measure("ndef-encode", () => encodeNdef([uriRecord("upi://pay?pa=demo.store@okaxis&pn=Demo%20Store&am=250.00&cu=INR&tr=T123")]));
  for (const kind of ["ntag213-uri", "type4-ndef"] as const) {
    const r = rig("i2c");
    r.nfc.placeTag(kind);
    // From the tag in the field to its arrival: polls, selection, reads, NDEF decode.
    measure(`tap-${kind}`, () => {
      for (let i = 0; i < 200 && r.arrivals.length === 0; i++) r.timers.advance(5);
    });
    equal(r.arrivals.length, 1, `${kind} arrived`);
  }
  const r = rig("i2c");
  r.reader.present("upi://pay?pa=demo.store@okaxis&pn=Demo%20Store&am=250.00&cu=INR&tr=T123");
  r.nfc.placeTag("phone");
  measure("phone-read", () => {
    for (let i = 0; i < 400 && r.nfc.phone.reads.length === 0; i++) r.timers.advance(5);
  });
  equal(r.nfc.phone.reads.length, 1, "phone read");
});

check("a tag with a TLV that runs past its memory is reported, and the next tag reads", () => {
  const r = rig("i2c");
  r.nfc.placeTag(ntag213("bad", hex("04010203040506"), Uint8Array.of(0x03, 0xff, 0x01, 0x00)));
  r.timers.advance(800);
  r.nfc.removeTag();
  r.timers.advance(800);
  r.nfc.placeTag(ntag213("good", hex("04010203040507"), ndefTlv(encodeNdef([uriRecord("https://example.com")]))));
  r.timers.advance(800);
  equal(r.arrivals.map((t) => t.ndefError?.code ?? "ok"), ["tlv", "ok"]);
});

done();
