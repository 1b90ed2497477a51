import type { AudioOut } from "./audio";
import type { Buttons } from "./buttons";
import type { ByteTransport } from "./byte-transport";
import type { Clock, Timers } from "./clock";
import type { Crypto } from "./crypto";
import type { Display } from "./display";
import type { KeyValueStore } from "./kv";
import type { Log } from "./log";
import type { MqttTransport } from "./mqtt";
import type { Network } from "./network";
import type { Power } from "./power";
import type { QrEncoder } from "./qr";
import type { SystemInfo } from "./system";
import type { UpdateStorage } from "./update";

/**
 * Everything the firmware may touch, handed to it once at start. A product uses the optional
 * parts it has: the soundbox has audio, the QR display has a display, a QR encoder and NFC.
 */
export interface Hal {
  clock: Clock;
  timers: Timers;
  kv: KeyValueStore;
  mqtt: MqttTransport;
  crypto: Crypto;
  buttons: Buttons;
  power: Power;
  network: Network;
  system: SystemInfo;
  log: Log;
  audio?: AudioOut;
  display?: Display;
  qr?: QrEncoder;
  nfc?: ByteTransport;
  /** Firmware slots (and voice-pack areas) for updates; absent where the platform has none. */
  update?: UpdateStorage;
}

export type { AudioOut, ClipArea } from "./audio";
export type { ButtonId, Buttons } from "./buttons";
export type { ByteTransport, TransportFlavour } from "./byte-transport";
export type { Clock, TimerHandle, Timers } from "./clock";
export type { Crypto, Sha256Stream } from "./crypto";
export type { Display, QrSymbolView } from "./display";
export type { KeyValueStore, KvValue } from "./kv";
export type { Log, LogFields, LogLevel } from "./log";
export type { MqttConnectOptions, MqttHandlers, MqttInbound, MqttTls, MqttTransport, MqttWill, QoS } from "./mqtt";
export type { Network, NetworkStatus } from "./network";
export type { Power, PowerStatus } from "./power";
export type { QrEncoder } from "./qr";
export type { Product, SystemInfo } from "./system";
export type { BootState, FirmwareSlots, ImageArea, InstalledVoicePack, SlotIndex, UpdateStorage, VoicePackAreas } from "./update";
