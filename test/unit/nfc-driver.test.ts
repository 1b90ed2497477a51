/**
 * The NFC reader (firmware/nfc) over the simulated PN532 (host-sim/nfc) on I2C, SPI and UART, in
 * virtual time: tags arrive and leave, a phone reads the presented link, and every way the link
 * can go wrong (checksums, truncation, lying lengths, lost ACKs, garbage, a stuck or reset
 * controller) ends in a precise error and a reader that keeps working.
 */
import { describe, expect, it } from "@jest/globals";
import type { NfcError } from "../../firmware/nfc/errors";
import { encodeNdef, mimeRecord, parseUri, uriRecord, viewRecord } from "../../firmware/nfc/ndef";
import { NfcReader, type NfcReaderOptions, type ReaderState, type TagInfo } from "../../firmware/nfc/reader";
import { ManualClock, ManualTimers } from "../../hal/memory/clock";
import { pn532Frame, type HostInterface } from "../../host-sim/nfc/pn532-sim";
import { NTAG_URI, SimulatedNfc, TYPE4_TEXT, TYPE4_URI } from "../../host-sim/nfc/simulated-nfc";
import { ndefTlv, ntag213, Type4Tag, type VirtualCard } from "../../host-sim/nfc/tags";

const UID_NTAG = "047bcb51962280";
const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");

function rig(bus: HostInterface, options: Partial<NfcReaderOptions> & { irq?: boolean } = {}) {
  const timers = new ManualTimers(new ManualClock());
  const nfc = new SimulatedNfc({ timers, bus, irq: options.irq });
  const arrivals: TagInfo[] = [];
  const leaves: TagInfo[] = [];
  const errors: NfcError[] = [];
  const states: ReaderState[] = [];
  const reader = new NfcReader({
    transport: nfc.transport,
    timers,
    onArrive: (tag) => arrivals.push(tag),
    onLeave: (tag) => leaves.push(tag),
    onError: (error) => errors.push(error),
    onStateChange: (state) => states.push(state),
    ...options,
  });
  const run = (ms: number) => timers.advance(ms);
  /** Holds a tag to the reader for `ms`, then takes it away and waits for the leave. */
  const tap = (kind: Parameters<SimulatedNfc["placeTag"]>[0], ms = 800) => {
    nfc.placeTag(kind);
    run(ms);
    nfc.removeTag();
    run(800);
  };
  run(300);
  return { timers, nfc, reader, arrivals, leaves, errors, states, run, tap };
}

const BUSES: HostInterface[] = ["i2c", "spi", "uart"];

describe.each(BUSES)("NFC reader over %s", (bus) => {
  it("wakes the PN532, identifies it and starts polling", () => {
    const r = rig(bus);
    expect(r.reader.firmware).toEqual({ ic: 0x32, version: 1, revision: 6, support: 7 });
    expect(r.reader.state).toBe("polling");
    expect(r.nfc.chip.counters.wakeUps).toBe(1);
    expect(r.nfc.chip.commandLog.slice(0, 3)).toEqual([0x14, 0x02, 0x32]);
    expect(r.errors).toEqual([]);
  });

  it("reads each kind of tag once per tap, and notices it leave", () => {
    const r = rig(bus);
    r.tap("ntag213-uri");
    r.tap("card-uid4");
    r.tap("type4-ndef");
    expect(r.arrivals.map((t) => [t.kind, hexOf(t.uid)])).toEqual([
      ["type2", UID_NTAG],
      ["card", "6e8ae2b0"],
      ["type4", "04a1b2c3d4e5f6"],
    ]);
    expect(r.leaves.map((t) => hexOf(t.uid))).toEqual([UID_NTAG, "6e8ae2b0", "04a1b2c3d4e5f6"]);
    const [ntag, card, type4] = r.arrivals;
    expect(ntag.records?.map((record) => viewRecord(record).uri)).toEqual([NTAG_URI]);
    expect(ntag.atqa).toBe(0x0044);
    expect(card.ndef).toBeUndefined();
    expect(card.sak).toBe(0x08);
    expect(type4.ats).toEqual(Uint8Array.of(0x05, 0x78, 0x80, 0x70, 0x02));
    expect(type4.records?.map((record) => viewRecord(record))).toMatchObject([{ uri: TYPE4_URI }, { text: TYPE4_TEXT, lang: "en" }]);
    expect(r.errors).toEqual([]);
  });

  it("a payment card and a phone wallet are read as ISO-DEP cards naming their payment application", () => {
    const r = rig(bus);
    r.tap("payment-card");
    r.tap("phone-wallet");
    r.tap("foreign-card");
    expect(r.arrivals.map((t) => [t.kind, hexOf(t.uid), t.aid && hexOf(t.aid), t.ndef, t.ndefError])).toEqual([
      ["type4", "5a317c09", "a0000005241010", undefined, undefined],
      ["type4", "08b7441e", "a0000000031010", undefined, undefined],
      ["type4", "3c9e20d4", "a0000000041010", undefined, undefined],
    ]);
    expect(r.errors).toEqual([]);
  });

  it("an ISO-DEP card with neither NDEF nor a payment directory arrives with not-ndef and no AID", () => {
    const r = rig(bus);
    const transit: VirtualCard = {
      role: "card",
      label: "transit card",
      uid: Uint8Array.of(0x04, 1, 2, 3, 4, 5, 6),
      atqa: 0x0344,
      sak: 0x20,
      ats: Uint8Array.of(0x05, 0x78, 0x80, 0x70, 0x02),
      exchange: () => ({ status: 0, data: Uint8Array.of(0x6a, 0x82) }),
      halt() {},
    };
    r.tap(transit);
    expect(r.arrivals.map((t) => [t.kind, t.aid, t.ndefError?.code])).toEqual([["type4", undefined, "not-ndef"]]);
    expect(r.errors).toEqual([]);
  });

  it("a tag held for seconds is one arrival", () => {
    const r = rig(bus);
    r.tap("ntag213-uri", 5000);
    expect(r.arrivals.length).toBe(1);
    expect(r.leaves.length).toBe(1);
  });

  it("a phone reads the presented payment link from the emulated Type 4 tag", () => {
    const r = rig(bus);
    const presented: { uri: string; delivered: boolean }[] = [];
    const uri = "upi://pay?pa=demo.store@okaxis&pn=Demo%20Store&am=250.00&cu=INR&tr=TX42";
    const reader = r.reader;
    reader.present(uri);
    r.nfc.placeTag("phone");
    r.run(2000);
    expect(r.nfc.phone.reads.map((read) => read.uri)).toEqual([uri]);
    expect(r.nfc.phone.reads[0].ndef).toEqual(encodeNdef([uriRecord(uri)]));
    r.nfc.removeTag();
    // A second tap with the link changed (a new charge) reads the new one.
    const next = "upi://pay?pa=demo.store@okaxis&pn=Demo%20Store&am=99.00&cu=INR&tr=TX43";
    reader.present(next);
    r.run(500);
    r.nfc.placeTag("phone");
    r.run(2000);
    expect(r.nfc.phone.reads.map((read) => read.uri)).toEqual([uri, next]);
    expect(r.arrivals).toEqual([]);
    expect(r.errors).toEqual([]);
    void presented;
  });

  it("tags are still read while a link is presented (reader and card mode take turns)", () => {
    const r = rig(bus);
    r.reader.present("upi://pay?pa=demo.store@okaxis&pn=Demo%20Store&cu=INR");
    r.tap("ntag213-uri", 2000);
    expect(r.arrivals.map((t) => t.kind)).toEqual(["type2"]);
    expect(r.states).toContain("emulating");
  });

  it("present(undefined) ends card mode at once", () => {
    const r = rig(bus);
    r.reader.present("https://pay.example/x");
    r.run(200);
    r.reader.present(undefined);
    r.run(50);
    r.nfc.placeTag("phone");
    r.run(3000);
    expect(r.nfc.phone.reads).toEqual([]);
  });
});

describe("NFC reader without the IRQ line (status polling only)", () => {
  it.each(["i2c", "spi"] as const)("%s", (bus) => {
    const r = rig(bus, { irq: false });
    r.tap("type4-ndef");
    expect(r.arrivals.map((t) => t.kind)).toEqual(["type4"]);
    expect(r.errors).toEqual([]);
  });
});

/** Applies `change` to the next `count` response frames the PN532 sends, then leaves them alone. */
function tamperResponses(nfc: SimulatedNfc, count: number, change: (frame: Uint8Array) => Uint8Array | undefined, match?: (frame: Uint8Array) => boolean) {
  let left = count;
  nfc.faults.tamper = (frame, role) => {
    if (role !== "response" || left === 0 || (match && !match(frame))) return frame;
    left--;
    return change(frame);
  };
  return () => left;
}

/** Frames answering InDataExchange (D5 41): the tag reads, where damage matters most. */
const isExchangeAnswer = (frame: Uint8Array) => frame[5] === 0xd5 && frame[6] === 0x41;

describe.each(BUSES)("bad frames from the PN532 over %s: clear errors, and the reader carries on", (bus) => {
  it("a wrong data checksum: NACK, the PN532 sends it again, the tag reads", () => {
    const r = rig(bus);
    tamperResponses(r.nfc, 1, (f) => {
      const copy = f.slice();
      copy[copy.length - 2] ^= 0xff;
      return copy;
    }, isExchangeAnswer);
    r.tap("ntag213-uri");
    expect(r.arrivals.map((t) => t.records && parseUri(t.records[0]))).toEqual([NTAG_URI]);
    expect(r.reader.linkCounters.nacks).toBe(1);
    expect(r.nfc.chip.counters.nacksIn).toBe(1);
  });

  it("a wrong data checksum three times: the read fails with frame-data-checksum, and succeeds while the tag stays", () => {
    const r = rig(bus);
    const left = tamperResponses(r.nfc, 3, (f) => {
      const copy = f.slice();
      copy[copy.length - 2] ^= 0x01;
      return copy;
    }, isExchangeAnswer);
    r.tap("ntag213-uri");
    expect(left()).toBe(0);
    expect(r.errors.map((e) => e.code)).toContain("frame-data-checksum");
    expect(r.errors.find((e) => e.code === "frame-data-checksum")?.message).toMatch(/InDataExchange: data checksum .* \(after 2 NACKs\)/);
    expect(r.arrivals.map((t) => hexOf(t.uid))).toEqual([UID_NTAG]);
    expect(r.arrivals[0].records?.length).toBe(1);
  });

  it("a wrong length checksum: refused, and the reader recovers", () => {
    const r = rig(bus);
    tamperResponses(r.nfc, 1, (f) => {
      const copy = f.slice();
      copy[4] ^= 0x10;
      return copy;
    }, isExchangeAnswer);
    r.tap("ntag213-uri");
    r.tap("ntag213-uri");
    expect(r.arrivals.length).toBeGreaterThanOrEqual(1);
    expect(r.arrivals.every((t) => hexOf(t.uid) === UID_NTAG)).toBe(true);
    const problem = r.errors.map((e) => e.message).join("\n");
    if (bus === "uart") expect(problem).toMatch(/LEN 0x[0-9A-F]{2} \+ LCS 0x[0-9A-F]{2} is not 0 mod 256/);
    else expect(r.reader.linkCounters.nacks).toBeGreaterThanOrEqual(1);
  });

  it("a truncated frame: the reader says how much was announced and how much came", () => {
    const r = rig(bus);
    tamperResponses(r.nfc, 1, (f) => f.subarray(0, 12), isExchangeAnswer);
    r.tap("ntag213-uri");
    r.tap("ntag213-uri");
    expect(r.arrivals.some((t) => t.records !== undefined)).toBe(true);
    if (bus === "uart") expect(r.errors.map((e) => e.message).join("\n")).toMatch(/no valid response to InDataExchange within 500 ms; a frame announced 25 bytes and 11 arrived/);
    else expect(r.reader.linkCounters.nacks).toBeGreaterThanOrEqual(1);
  });

  it("a LEN that lies (says more, with a matching LCS): refused, the reader recovers", () => {
    const r = rig(bus);
    tamperResponses(r.nfc, 2, (f) => {
      const copy = f.slice();
      copy[3] = f[3] + 40;
      copy[4] = (0x100 - copy[3]) & 0xff;
      return copy;
    }, isExchangeAnswer);
    r.tap("ntag213-uri", 2500);
    // On a stream the frame never completes; on I2C and SPI the zero padding after it checks out
    // (zeros add nothing to a checksum), and the answer's own length gives it away.
    expect(r.errors.length).toBeGreaterThan(0);
    if (bus === "uart") expect(r.errors[0].code).toBe("frame-truncated");
    else expect(r.errors[0].message).toMatch(/READ of page 3 answered 56 bytes, expected 16/);
    expect(r.arrivals.map((t) => t.records?.length)).toEqual([1]);
  });

  it("a LEN that lies (says less): the data checksum catches it", () => {
    const r = rig(bus);
    tamperResponses(r.nfc, 3, (f) => {
      const copy = f.slice();
      copy[3] = f[3] - 2;
      copy[4] = (0x100 - copy[3]) & 0xff;
      return copy;
    }, isExchangeAnswer);
    r.tap("ntag213-uri");
    r.tap("ntag213-uri");
    expect(r.errors.map((e) => e.message).join("\n")).toMatch(/checksum|postamble/);
    expect(r.arrivals.some((t) => t.records?.length === 1)).toBe(true);
  });

  it("garbage bytes before the preamble of every frame are skipped", () => {
    const r = rig(bus);
    r.nfc.faults.tamper = (frame) => Uint8Array.from([0x13, 0x37, 0x00, 0xff, 0x42, ...frame]);
    r.tap("ntag213-uri");
    r.tap("type4-ndef");
    expect(r.arrivals.map((t) => t.kind)).toEqual(["type2", "type4"]);
    expect(r.arrivals.every((t) => t.records !== undefined)).toBe(true);
  });

  it("an error frame (syntax error) is reported as such", () => {
    const r = rig(bus);
    tamperResponses(r.nfc, 1, () => Uint8Array.of(0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00), isExchangeAnswer);
    r.tap("ntag213-uri");
    r.tap("ntag213-uri");
    expect(r.errors.map((e) => e.code)).toContain("syntax-error");
    expect(r.arrivals.some((t) => t.records !== undefined)).toBe(true);
  });

  it("an answer with the wrong TFI or to another command is not taken for the answer", () => {
    const r = rig(bus);
    tamperResponses(r.nfc, 1, () => pn532Frame(Uint8Array.of(0x03, 0x32, 0x01, 0x06, 0x07)), isExchangeAnswer);
    r.tap("ntag213-uri");
    r.tap("ntag213-uri");
    expect(r.errors.map((e) => e.message).join("\n")).toMatch(/does not answer InDataExchange/);
    expect(r.arrivals.some((t) => t.records !== undefined)).toBe(true);
  });
});

describe.each(BUSES)("a controller in trouble over %s recovers without a reboot", (bus) => {
  it("one lost ACK: the command is sent again", () => {
    const r = rig(bus);
    let dropped = 0;
    r.nfc.faults.tamper = (frame, role) => (role === "ack" && dropped++ === 0 ? undefined : frame);
    r.tap("ntag213-uri");
    expect(r.reader.linkCounters.resends).toBeGreaterThanOrEqual(1);
    expect(r.arrivals.length).toBe(1);
    expect(r.errors).toEqual([]);
  });

  it("an ACK that never comes: ack-timeout, recovery with back-off, and reading again once the PN532 answers", () => {
    const r = rig(bus);
    r.nfc.faults.tamper = (frame, role) => (role === "ack" ? undefined : frame);
    r.run(5000);
    expect(r.errors[0].code).toBe("ack-timeout");
    expect(r.errors[0].message).toMatch(/no ACK to \w+ after 3 attempts of 30 ms/);
    expect(r.reader.state).toBe("recovering");
    const attempts = r.errors.length;
    r.run(20000);
    // Back-off: far fewer attempts in the next 20 s than in the first 5.
    expect(r.errors.length - attempts).toBeLessThan(attempts + 3);
    r.nfc.faults.tamper = undefined;
    r.run(31000);
    expect(r.reader.state).toBe("polling");
    r.tap("type4-ndef");
    expect(r.arrivals.map((t) => t.kind)).toEqual(["type4"]);
  });

  it("a command that never finishes (stuck controller): aborted by an ACK, then it answers again", () => {
    const r = rig(bus);
    r.nfc.chip.stick();
    r.run(1500);
    expect(r.errors.map((e) => e.code)).toEqual(["response-timeout"]);
    expect(r.nfc.chip.counters.acksIn).toBeGreaterThanOrEqual(1);
    r.tap("ntag213-uri");
    expect(r.arrivals.length).toBe(1);
  });

  it("the PN532 resets behind the driver's back (brown-out): it is woken and configured again", () => {
    const r = rig(bus);
    r.nfc.chip.reset();
    r.run(1000);
    r.tap("ntag213-uri");
    expect(r.arrivals.map((t) => hexOf(t.uid))).toEqual([UID_NTAG]);
    expect(r.nfc.chip.counters.wakeUps).toBe(2);
    // SAMConfiguration is sent again after the controller came back.
    expect(r.nfc.chip.commandLog.filter((c) => c === 0x14).length).toBeGreaterThanOrEqual(2);
  });

  it("with a reset line: recovery pulses it", () => {
    const r = rig(bus);
    r.nfc.faults.tamper = (frame, role) => (role === "ack" ? undefined : frame);
    r.run(1000);
    r.nfc.faults.tamper = undefined;
    r.run(2000);
    expect(r.nfc.chip.counters.resets).toBeGreaterThanOrEqual(1);
    expect(r.reader.state).toBe("polling");
  });
});

describe("bad tags: the reader reports, and keeps reading", () => {
  function withTag(bus: HostInterface, make: () => ReturnType<typeof ntag213> | Type4Tag) {
    const r = rig(bus);
    r.nfc.placeTag(make());
    r.run(800);
    r.nfc.removeTag();
    r.run(800);
    r.tap("ntag213-uri");
    return r;
  }
  const uid = Uint8Array.of(0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06);

  it("corrupt NDEF (a record longer than its TLV)", () => {
    const r = rig("i2c");
    r.tap("corrupt-ndef");
    r.tap("ntag213-uri");
    expect(r.arrivals[0].ndefError?.code).toBe("ndef");
    expect(r.arrivals[0].ndefError?.message).toMatch(/payload length 240 runs past the end \(10 bytes left\)/);
    expect(r.arrivals[0].ndef?.length).toBe(14);
    expect(r.arrivals[1].records?.length).toBe(1);
  });

  it("an NDEF TLV whose length runs past the data area", () => {
    const r = withTag("uart", () => ntag213("t", uid, Uint8Array.of(0x03, 0xff, 0x01, 0x00, 0xd1)));
    expect(r.arrivals[0].ndefError?.code).toBe("tlv");
    expect(r.arrivals[0].ndefError?.message).toMatch(/declares 256 bytes; the data area ends/);
    expect(r.arrivals[1].records?.length).toBe(1);
  });

  it("a TLV area with no terminator and no NDEF TLV", () => {
    const area = new Uint8Array(144);
    area.set([0xfd, 0x02, 0x01, 0x02]);
    const r = withTag("spi", () => ntag213("t", uid, area));
    expect(r.arrivals[0].ndefError?.message).toMatch(/144-byte data area ends without an NDEF TLV or a terminator TLV/);
    expect(r.arrivals[1].records?.length).toBe(1);
  });

  it("a record that declares 1 MB, on a Type 4 tag", () => {
    const liar = Uint8Array.of(0xc2, 0x0a, 0x00, 0x10, 0x00, 0x00, ...Buffer.from("text/plain"), 0x41, 0x42);
    const r = withTag("i2c", () => new Type4Tag("t", uid, liar));
    expect(r.arrivals[0].ndefError?.message).toMatch(/payload length 1048576 runs past the end \(2 bytes left\)/);
    expect(r.arrivals[1].records?.length).toBe(1);
  });

  it("a Type 4 message larger than the device reads is refused before it is read", () => {
    const big = encodeNdef([mimeRecord("application/octet-stream", new Uint8Array(3000))]);
    const r = withTag("i2c", () => new Type4Tag("t", uid, big));
    expect(r.arrivals[0].ndefError?.code).toBe("too-large");
    expect(r.arrivals[1].records?.length).toBe(1);
  });

  it("a tag pulled away in the middle of a read", () => {
    const r = rig("i2c");
    const long = encodeNdef([mimeRecord("application/octet-stream", new Uint8Array(100))]);
    r.nfc.placeTag(ntag213("t", uid, ndefTlv(long)));
    // Long enough for the tag to be found and its first READs done, not for all of them.
    for (let i = 0; i < 400 && r.nfc.chip.commandLog.filter((c) => c === 0x40).length < 3; i++) r.run(1);
    r.nfc.removeTag();
    r.run(1000);
    // Half a read is not a tap: nothing arrives, the error says why.
    expect(r.arrivals).toEqual([]);
    expect(r.errors.map((e) => e.message)).toEqual(["InDataExchange: status 0x01 (time out, the target has not answered)"]);
    r.tap("ntag213-uri");
    expect(r.arrivals[0].records?.length).toBe(1);
  });

  it("an application callback that throws does not stall the reader", () => {
    const r = rig("i2c", { onArrive: () => { throw new Error("app bug"); } });
    r.tap("ntag213-uri");
    r.tap("card-uid4");
    expect(r.errors.map((e) => [e.code, e.message])).toEqual([
      ["callback", "a callback threw: app bug"],
      ["callback", "a callback threw: app bug"],
    ]);
  });
});

describe("close()", () => {
  it("stops polling and releases the transport", () => {
    const r = rig("i2c");
    r.reader.close();
    const sent = r.nfc.chip.counters.framesIn;
    r.tap("ntag213-uri");
    expect(r.nfc.chip.counters.framesIn).toBe(sent);
    expect(r.reader.state).toBe("closed");
    expect(() => r.reader.present("https://x.example")).toThrow(/closed/);
  });
});
