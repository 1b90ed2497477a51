/**
 * One simulated device: the real firmware (firmware/device.ts) on the host HAL. Its NVS lives in
 * a JSON file, so restarting the device (or the whole simulator) keeps its journal and keys.
 */
import { join } from "node:path";
import type { ButtonId } from "../../hal/buttons";
import type { Hal } from "../../hal/index";
import type { KeyValueStore } from "../../hal/kv";
import type { Product } from "../../hal/system";
import type { DeviceDefaults } from "../../firmware/config";
import type { Backoff } from "../../firmware/session";
import { startDevice, type Device } from "../../firmware/device";
import { Keyring } from "../../firmware/payments/keyring";
import { InstalledVoice } from "../audio/installed-voice";
import type { ClipLibrary } from "../audio/render";
import type { VoicePack } from "../audio/voice-pack";
import { FileKv } from "../hal/file-kv";
import { FramebufferDisplay } from "../hal/framebuffer-display";
import { hostQrEncoder } from "../hal/qr-encoder";
import { LinkGatedTransport } from "../hal/link-gate";
import { MqttJsTransport } from "../hal/mqttjs-transport";
import { nodeClock, NodeTimers } from "../hal/node-clock";
import { nodeCrypto } from "../hal/node-crypto";
import { MemoryPower } from "../../hal/memory/peripherals";
import type { WifiSettings } from "../../hal/network";
import { SimButtons } from "../hal/panel";
import { RecordingAudio, type PlayedSound } from "../hal/recording-audio";
import type { DeviceKey } from "../service/confirmation";
import { EventLog } from "./event-log";
import { SimNetwork } from "./sim-network";
import { FileUpdateStorage } from "../hal/update-slots";
import { buildSimImage, readSimImageHeader, type SimImageHeader } from "../release/sim-image";
import { SimSoundbox } from "./sim-soundbox";
import type { HostInterface } from "../nfc/pn532-sim";
import { SimulatedNfc } from "../nfc/simulated-nfc";

export const FIRMWARE_VERSION = "0.1.0-sim";
/** A simulated image with the "crash" fault resets this long after power-on (a watchdog reset). */
const CRASH_RESET_MS = 100;
/** Sounds kept in `played`, newest last. */
const KEPT_SOUNDS = 500;
const BUILT_IN = "built-in";

const BUTTONS: Record<Product, ButtonId[]> = {
  soundbox: ["volumeUp", "volumeDown", "replay", "power", "function"],
  "qr-display": ["power", "function"],
};

export interface SimDeviceOptions {
  deviceId: string;
  product: Product;
  broker: { host: string; port: number };
  language: string;
  /** HMAC key the payment service holds for this device; written to NVS when missing. */
  key: DeviceKey;
  /** Where the device's NVS file lives; omitted, NVS is in memory only. */
  stateDir?: string;
  voice?: VoicePack;
  /** Speech plays this many times faster than real time (scenarios, tests); 1 when absent. Tones keep their length. */
  speechSpeed?: number;
  /** When set, every utterance is also written here: <transaction>.wav for a payment, <kind>-<n>.wav otherwise. */
  wavDir?: string;
  /** Screen size of a QR display; 240x320 portrait, as the ST7789 in the manifest. */
  screen?: { width: number; height: number };
  merchant?: { vpa: string; name: string };
  /**
   * The operator's release key (hex of the uncompressed P-256 point) for signed updates. Update
   * storage (two firmware slots, voice-pack areas) lives in `<stateDir>/<deviceId>.update/`.
   */
  updateKey?: string;
  /** How long a trial boot waits to be connected and subscribed (firmware default: 2 minutes). */
  updateHealthMs?: number;
  updateTrialBoots?: number;
  /** The operator's key for NFC provisioning tags (hex of the uncompressed P-256 point). */
  nfcOperatorKey?: string;
  /** The bus between the QR display and its PN532 (I2C on the payterm_qr board). */
  nfcBus?: HostInterface;
  /** The MQTT session's reconnect delays, when not the firmware's defaults (tests shorten them). */
  reconnect?: Partial<Backoff>;
  /**
   * The shop's Wi-Fi access point: a network the firmware joins (provisioned in NVS or by a
   * provisioning tag) must match it, or the link stays down with the reason. Omitted, any is let in.
   */
  accessPoint?: WifiSettings;
  /** Each boot's key-value store passes through this (bench:wear counts the writes NVS would take). */
  wrapKv?: (kv: KeyValueStore) => KeyValueStore;
}

export class SimDevice {
  readonly log: EventLog;
  readonly buttons: SimButtons;
  readonly power = new MemoryPower();
  readonly network: SimNetwork;
  #timers = new NodeTimers();
  #transport = new MqttJsTransport();
  #device: Device | undefined;
  #audio: RecordingAudio | undefined;
  #update: FileUpdateStorage | undefined;
  /** The installed pack the firmware speaks with, as it said last ("voice-pack-speaking"). */
  #installed: InstalledVoice | undefined;
  /** What the speaker played, newest last (at most KEPT_SOUNDS): names, volumes, and the bytes of installed-pack clips. */
  readonly played: PlayedSound[] = [];
  readonly display: FramebufferDisplay | undefined;
  /** The soundbox's panel and speaker (buttons, WAVs, state); undefined on a QR display. */
  readonly soundbox: SimSoundbox | undefined;
  /**
   * The QR display's PN532 and what can be held to it (host-sim/nfc): `nfc.placeTag(kind)`,
   * `nfc.removeTag()`, `nfc.phone.reads`. Its own timers: it is powered with the board, not the
   * firmware, and a reboot of the firmware reconnects to it.
   */
  readonly nfc: SimulatedNfc | undefined;
  #nfcBooted = false;

  constructor(readonly options: SimDeviceOptions) {
    this.log = new EventLog(options.deviceId);
    this.network = new SimNetwork(options.accessPoint, this.log);
    this.buttons = new SimButtons(BUTTONS[options.product]);
    const screen = options.screen ?? { width: 240, height: 320 };
    this.display = options.product === "qr-display" ? new FramebufferDisplay(screen.width, screen.height) : undefined;
    this.soundbox = options.product === "soundbox" ? new SimSoundbox(this, options.wavDir) : undefined;
    this.nfc = options.product === "qr-display" ? new SimulatedNfc({ timers: new NodeTimers(), bus: options.nfcBus ?? "i2c" }) : undefined;
    this.log.listen((event) => {
      if (event.name === "voice-pack-speaking" && this.#update) this.#installed = InstalledVoice.read(this.#update.voice, RecordingAudio.SAMPLE_RATE);
    });
  }

  /**
   * The clips of a voice the firmware named ("built-in", or an installed pack as "hi 1.1.0"), for
   * rendering what it said; undefined when the simulator does not have them.
   */
  voiceFor(label: string): ClipLibrary | undefined {
    if (label === BUILT_IN) return this.options.voice;
    return this.#installed?.label === label ? this.#installed : undefined;
  }

  get running(): boolean {
    return this.#device !== undefined;
  }

  /** The update storage of the current boot (its slots on disk), when the device has a state directory. */
  get updateStorage(): FileUpdateStorage | undefined {
    return this.#update;
  }

  get firmware(): Device {
    if (!this.#device) throw new Error(`${this.options.deviceId} is not running`);
    return this.#device;
  }

  /** Boots the firmware, as power-on does. */
  start(): void {
    if (this.#device) return;
    const o = this.options;
    const stored = new FileKv(o.stateDir && join(o.stateDir, `${o.deviceId}.nvs.json`));
    const kv = o.wrapKv ? o.wrapKv(stored) : stored;
    const keyring = new Keyring(kv);
    if (!keyring.get(o.key.keyId)) keyring.put(o.key.keyId, o.key.key);
    this.#timers = new NodeTimers();
    this.#transport = new MqttJsTransport();
    const image = this.#bootImage();
    if (image.fault === "crash") {
      // The image dies before the firmware is up; the boot path has counted the boot.
      this.log.event("error", "simulated-crash", { version: image.version });
      this.#timers.once(() => this.restart(), CRASH_RESET_MS);
      return;
    }
    const hal: Hal = {
      clock: nodeClock,
      timers: this.#timers,
      kv,
      mqtt: new LinkGatedTransport(this.#transport, this.network, (run) => this.#timers.once(run, 0)),
      crypto: nodeCrypto,
      buttons: this.buttons,
      power: this.power,
      network: this.network,
      system: {
        deviceId: o.deviceId,
        product: o.product,
        firmwareVersion: image.version,
        freeHeap: () => {
          const heap = process.memoryUsage();
          return heap.heapTotal - heap.heapUsed;
        },
        restart: () => this.restart(),
      },
      log: this.log,
    };
    this.#installed = undefined;
    this.#audio =
      o.product === "soundbox" && o.voice ? new RecordingAudio({ clips: o.voice, speechSpeed: o.speechSpeed, onSound: (sound) => this.#played(sound) }) : undefined;
    if (this.#audio) hal.audio = this.#audio;
    if (this.display) {
      hal.display = this.display;
      hal.qr = hostQrEncoder;
    }
    const defaults: DeviceDefaults = {
      brokerHost: o.broker.host,
      brokerPort: o.broker.port,
      brokerTls: false,
      language: o.language,
      keepalive: 30,
      merchantVpa: o.merchant?.vpa,
      merchantName: o.merchant?.name,
      updateKey: o.updateKey,
      updateHealthMs: o.updateHealthMs,
      updateTrialBoots: o.updateTrialBoots,
      reconnect: o.reconnect,
    };
    if (this.#update) hal.update = this.#update;
    if (this.nfc) {
      // Every boot after the first comes after a power cut or reset of the board, PN532 included.
      hal.nfc = this.nfc.reconnect(this.#nfcBooted);
      this.#nfcBooted = true;
      defaults.operatorKey = o.nfcOperatorKey;
    }
    // An image built not to reach the broker: nothing listens on port 1.
    if (image.fault === "offline") defaults.brokerPort = 1;
    this.#device = startDevice(hal, defaults);
  }

  #played(sound: PlayedSound): void {
    this.played.push(sound);
    if (this.played.length > KEPT_SOUNDS) this.played.shift();
    const voice = sound.blocks ? this.#installed?.label : BUILT_IN;
    this.log.event("debug", "clip", { clip: sound.name, volume: sound.volume, voice });
  }

  /** Orderly shutdown: the device says it goes offline. */
  stop(): void {
    this.#device?.stop();
    this.#audio?.flush();
    this.#device = undefined;
    this.#timers.clearAll();
  }

  /** Power cut: no goodbye, timers die, the broker sees the connection drop and sends the will. */
  powerOff(): void {
    this.#transport.powerLoss();
    this.#audio?.flush();
    this.#device = undefined;
    this.#timers.clearAll();
    // The Wi-Fi's state is the world's; who listened to it died with the firmware.
    this.network.forgetListeners();
  }

  restart(): void {
    this.powerOff();
    this.start();
  }

  /** The Wi-Fi link drops; the firmware's session reconnects on its own. */
  cutLink(): void {
    this.#transport.cut();
  }

  /** The Wi-Fi stays down (connections fail) until `linkUp`. */
  linkDown(): void {
    this.network.set({ link: "down", rssi: undefined });
    this.#transport.cut();
  }

  linkUp(): void {
    this.network.set({ link: "up", rssi: -55 });
  }

  /**
   * The boot path: picks the slot (counting a trial boot, or rolling back) and reads the header of
   * the image it boots. Without a state directory there are no slots: the build's own version runs.
   */
  #bootImage(): SimImageHeader {
    const o = this.options;
    const built: SimImageHeader = { version: FIRMWARE_VERSION, product: o.product };
    if (!o.stateDir) return built;
    const storage = new FileUpdateStorage(join(o.stateDir, `${o.deviceId}.update`), {
      factoryImage: () => buildSimImage(built),
      checkImage: (read) => {
        const header = readSimImageHeader(read);
        if (typeof header === "string") return header;
        return header.product === o.product ? undefined : `the image is for a ${header.product}`;
      },
    });
    this.#update = storage;
    const header = readSimImageHeader((offset, into) => storage.firmware.running.read(offset, into));
    if (typeof header !== "string") return header;
    this.log.event("error", "boot-image-unreadable", { slot: storage.firmware.boot().slot, detail: header });
    return built;
  }
}
