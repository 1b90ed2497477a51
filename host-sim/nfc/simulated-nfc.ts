/**
 * The QR display's NFC corner in the simulator: a PN532 on a chosen bus and the things a person
 * can hold to it. The web UI and tests call `placeTag(kind)` and `removeTag()`; the firmware gets
 * `transport`, the same ByteTransport contract the ESP32 build gives it (hal/moddable/nfc-i2c.ts).
 *
 *   const nfc = new SimulatedNfc({ timers, bus: "i2c" });
 *   hal.nfc = nfc.transport;
 *   nfc.placeTag("ntag213-uri");   // a tag is tapped
 *   nfc.removeTag();
 *   nfc.placeTag("phone");         // a phone reads what the display presents; see nfc.phone.reads
 *   nfc.faults.tamper = (frame, role) => ...;   // corrupt, cut or drop what the PN532 sends
 */
import type { ByteTransport } from "../../hal/byte-transport";
import type { Timers } from "../../hal/clock";
import { Pn532Simulator, type HostInterface, type Pn532Faults } from "./pn532-sim";
import { ClassicCard, ndefTlv, ntag213, PaymentInstrument, PhoneReader, Type4Tag, uriMessage, utf8, type PhoneRead, type VirtualCard } from "./tags";
import { simTransport } from "./transports";

export const VIRTUAL_TAG_KINDS = ["payment-card", "phone-wallet", "foreign-card", "ntag213-uri", "card-uid4", "type4-ndef", "phone", "corrupt-ndef"] as const;
export type VirtualTagKind = (typeof VIRTUAL_TAG_KINDS)[number];

export const VIRTUAL_TAG_LABELS: Readonly<Record<VirtualTagKind, string>> = Object.freeze({
  "payment-card": "contactless card the acquirer issued (RuPay)",
  "phone-wallet": "phone wallet paying by NFC (Google Pay)",
  "foreign-card": "contactless card the acquirer does not know (Mastercard)",
  "ntag213-uri": "NTAG213 sticker with a URI",
  "card-uid4": "MIFARE Classic card (4-byte UID)",
  "type4-ndef": "Type 4 tag (URI and text)",
  phone: "phone reading the display",
  "corrupt-ndef": "tag with corrupt NDEF",
});

/** A simulated payment instrument: its UID and the one application its PPSE directory names. */
export interface InstrumentIdentity {
  uid: Uint8Array;
  aid: Uint8Array;
  applicationLabel: string;
}

/**
 * The payment instruments of the simulation. A real phone wallet shows a new random UID (08 xx xx
 * xx) on every tap; the simulated one keeps one, so that the simulator's acquirer can know it.
 */
export const SIM_INSTRUMENTS: Readonly<Record<"payment-card" | "phone-wallet" | "foreign-card", InstrumentIdentity>> = Object.freeze({
  "payment-card": { uid: Uint8Array.of(0x5a, 0x31, 0x7c, 0x09), aid: Uint8Array.of(0xa0, 0x00, 0x00, 0x05, 0x24, 0x10, 0x10), applicationLabel: "RUPAY" },
  "phone-wallet": { uid: Uint8Array.of(0x08, 0xb7, 0x44, 0x1e), aid: Uint8Array.of(0xa0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10), applicationLabel: "VISA" },
  "foreign-card": { uid: Uint8Array.of(0x3c, 0x9e, 0x20, 0xd4), aid: Uint8Array.of(0xa0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10), applicationLabel: "MASTERCARD" },
});

export function isVirtualTagKind(value: string): value is VirtualTagKind {
  return (VIRTUAL_TAG_KINDS as readonly string[]).includes(value);
}

/** The URI on the simulated NTAG213 (a loyalty card's link). */
export const NTAG_URI = "https://loyalty.example/c/7BCB5196";
export const TYPE4_URI = "https://pay.example/token/0042";
export const TYPE4_TEXT = "member 0042";

function textRecordBytes(text: string, lang: string, flags: number): Uint8Array {
  const body = utf8(text);
  return Uint8Array.of(flags | 0x11, 0x01, 1 + lang.length + body.length, 0x54, lang.length, ...utf8(lang), ...body);
}

/** Builds the thing a kind names; a fresh one each time (a new tap). */
export function virtualTag(kind: Exclude<VirtualTagKind, "phone">): VirtualCard {
  switch (kind) {
    case "payment-card":
    case "phone-wallet":
    case "foreign-card": {
      const { uid, aid, applicationLabel } = SIM_INSTRUMENTS[kind];
      return new PaymentInstrument(VIRTUAL_TAG_LABELS[kind], uid, aid, applicationLabel);
    }
    case "ntag213-uri":
      return ntag213(VIRTUAL_TAG_LABELS[kind], Uint8Array.of(0x04, 0x7b, 0xcb, 0x51, 0x96, 0x22, 0x80), ndefTlv(uriMessage(NTAG_URI)));
    case "card-uid4":
      return new ClassicCard(VIRTUAL_TAG_LABELS[kind], Uint8Array.of(0x6e, 0x8a, 0xe2, 0xb0));
    case "type4-ndef": {
      const uri = uriMessage(TYPE4_URI);
      uri[0] = 0x91; // MB, SR, TNF 1: the first of two records
      const message = Uint8Array.from([...uri, ...textRecordBytes(TYPE4_TEXT, "en", 0x40)]);
      return new Type4Tag(VIRTUAL_TAG_LABELS[kind], Uint8Array.of(0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6), message);
    }
    case "corrupt-ndef": {
      // A short URI record whose payload length (0xF0) runs far past its 12-byte TLV.
      const message = Uint8Array.of(0xd1, 0x01, 0xf0, 0x55, 0x04, ...utf8("example.c"));
      return ntag213(VIRTUAL_TAG_LABELS[kind], Uint8Array.of(0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66), ndefTlv(message));
    }
  }
}

export interface SimulatedNfcOptions {
  timers: Timers;
  bus?: HostInterface;
  /** The PN532's IRQ line is wired (I2C, SPI). Default true. */
  irq?: boolean;
}

export class SimulatedNfc {
  readonly chip: Pn532Simulator;
  readonly phone = new PhoneReader(VIRTUAL_TAG_LABELS.phone);
  /** Every completed read of the emulated tag by the phone. */
  onPhoneRead: ((read: PhoneRead) => void) | undefined;
  readonly #irq: boolean | undefined;
  #transport: ByteTransport;

  constructor(options: SimulatedNfcOptions) {
    this.chip = new Pn532Simulator({ timers: options.timers, hostInterface: options.bus ?? "i2c" });
    this.#irq = options.irq;
    this.#transport = simTransport(this.chip, { irq: options.irq });
    this.phone.onRead = (read) => this.onPhoneRead?.(read);
  }

  /** The bus to the PN532, for the firmware's HAL. */
  get transport(): ByteTransport {
    return this.#transport;
  }

  /**
   * A new bus connection to the same PN532, as the host gets on every boot (a driver's `close()`
   * closes its transport for good). `powerCycle` also resets the PN532, as a power cut does.
   */
  reconnect(powerCycle: boolean): ByteTransport {
    if (powerCycle) this.chip.reset();
    this.#transport = simTransport(this.chip, { irq: this.#irq });
    return this.#transport;
  }

  get faults(): Pn532Faults {
    return this.chip.faults;
  }

  /** What is held to the reader now. */
  get inField(): VirtualCard | PhoneReader | undefined {
    return this.chip.inField;
  }

  /** Holds a tag, card or the phone to the reader (taking away what was there). */
  placeTag(kind: VirtualTagKind | VirtualCard): VirtualCard | PhoneReader {
    const thing = typeof kind !== "string" ? kind : kind === "phone" ? this.phone : virtualTag(kind);
    this.chip.place(thing);
    return thing;
  }

  removeTag(): void {
    this.chip.remove();
  }
}
