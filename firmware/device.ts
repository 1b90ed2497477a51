/**
 * The firmware's entry point: given the platform's HAL, start the product it describes.
 * The Moddable build (hal/moddable/main.ts) and the simulator both call this, and nothing else.
 */
import type { Hal, MqttTls } from "../hal/index";
import { brokerEndpoint, brokerTls, ConfigError, type BrokerEndpoint } from "./broker";
import { configCommand } from "./commands/config";
import { CommandDispatcher } from "./commands/dispatcher";
import { retireKeyCommand, rotateKeyCommand } from "./commands/keys";
import { CommandLedger } from "./commands/ledger";
import { loadConfig, provisionedProduct, type DeviceConfig, type DeviceDefaults } from "./config";
import { encodeCbor } from "./protocol/cbor";
import { deviceTopics } from "./protocol/topics";
import { AckCourier } from "./payments/ack-courier";
import { Journal } from "./payments/journal";
import { Keyring } from "./payments/keyring";
import { isLate, LateFolder } from "./payments/late-policy";
import { PaymentPipeline } from "./payments/pipeline";
import { merchantUpiLink, NfcTerminal } from "./nfc/terminal";
import { MqttSession } from "./session";
import { encodeTelemetry } from "./telemetry";
import { startQrTerminal, type QrTerminal } from "./qr-display/terminal";
import { registerSoundboxCommands } from "./soundbox/commands";
import { Soundbox } from "./soundbox/soundbox";
import { VoiceClips } from "./soundbox/voice-clips";
import { FALLBACK_LANGUAGE, languageFor } from "./voice/languages";
import { UpdateAgent } from "./update/agent";
import { registerUpdateCommand } from "./update/command";
import { registerSelfTestCommand } from "./selftest/command";
import { ENTRY_COMBINATIONS, SelfTestEntry } from "./selftest/entry";
import { SelfTest } from "./selftest/selftest";

export interface Device {
  readonly pipeline: PaymentPipeline;
  /** Features register their commands here (firmware/commands/README.md). */
  readonly commands: CommandDispatcher;
  readonly session: MqttSession;
  /** The soundbox's playback, buttons and prompts; undefined on a device without audio. */
  readonly soundbox: Soundbox | undefined;
  /** The QR display's screen and charges, when the device has a display. */
  readonly qr: QrTerminal | undefined;
  /** Updates, where the platform has update storage; `updates.offer` is what the update command calls. */
  readonly updates: UpdateAgent | undefined;
  /** The factory self-test: the `selftest` command or the product's button combination at boot. */
  readonly selftest: SelfTest;
  /** Taps, provisioning tags and the payment link offered to phones; undefined without a PN532. */
  readonly nfc: NfcTerminal | undefined;
  stop(): void;
}

/**
 * The broker to connect to. A config mistake is logged and never turns TLS off: a bad URL falls
 * back to the separate host and port fields, missing TLS material to the platform's trust store.
 */
function connection(config: DeviceConfig, hal: Hal): { endpoint: BrokerEndpoint; tls: MqttTls | undefined } {
  let endpoint: BrokerEndpoint = { host: config.brokerHost, port: config.brokerPort, tls: config.brokerTls };
  try {
    endpoint = brokerEndpoint(config);
    return { endpoint, tls: brokerTls(config, endpoint, hal.kv) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    hal.log.event("error", "config-error", { detail: error.message });
    return { endpoint, tls: endpoint.tls ? {} : undefined };
  }
}

export function startDevice(hal: Hal, defaults: DeviceDefaults): Device {
  const { system, log, clock } = hal;
  let config = loadConfig(hal.kv, defaults);
  const provisionedFor = provisionedProduct(hal.kv);
  // An NVS image flashed onto the other product's board: say so, then run as what the firmware is.
  if (provisionedFor !== undefined && provisionedFor !== system.product)
    log.event("error", "product-mismatch", { provisioned: provisionedFor, firmware: system.product });
  // The network joins while the rest starts; its passphrase stays out of the log.
  hal.network.join(config.wifi);
  if (config.wifi) log.event("info", "wifi-join", { ssid: config.wifi.ssid });
  const topics = deviceTopics(system.deviceId);
  const journal = new Journal(hal.kv);
  if (journal.unreadableAtStart > 0) log.event("warn", "journal-unreadable", { slots: journal.unreadableAtStart });

  let language = languageFor(config.language);
  if (!language) {
    log.event("warn", "language-unknown", { requested: config.language, using: FALLBACK_LANGUAGE.code });
    language = FALLBACK_LANGUAGE;
  }
  // The installed voice pack, checked before the first word is said; the built-in pack otherwise.
  const voice = hal.audio
    ? new VoiceClips({ audio: hal.audio, voice: hal.update?.voice, crypto: hal.crypto, timers: hal.timers, clock, log, language: language.code })
    : undefined;
  voice?.start();
  const soundbox = hal.audio && voice ? new Soundbox({ ...hal, audio: hal.audio }, language, journal, config.soundbox, voice) : undefined;
  const late = new LateFolder(hal.timers, (summary) => soundbox?.offlineSummary(summary));
  const qr =
    hal.display && hal.qr
      ? startQrTerminal({ hal, display: hal.display, encoder: hal.qr, config, publishChargeAck: (payload) => session.publish(topics.chargeAcks, payload, 1) })
      : undefined;

  const status = (online: boolean) =>
    encodeCbor({ v: 1, online, fw: system.firmwareVersion, product: system.product, at: clock.now() });

  const updates = hal.update
    ? new UpdateAgent({
        storage: hal.update,
        kv: hal.kv,
        crypto: hal.crypto,
        timers: hal.timers,
        clock,
        log,
        system,
        topics,
        policy: {
          publicKey: config.updatePublicKey,
          trialBoots: config.updateTrialBoots,
          healthMs: config.updateHealthMs,
          allowDowngrade: config.allowDowngrade,
        },
        publish: (topic, payload, qos, retain) => session.publish(topic, payload, qos, retain),
        // Switching images restarts the device: not in the middle of an announcement.
        busy: () => (hal.audio ? hal.audio.pending() > 0 : false),
        voicePacks: voice,
      })
    : undefined;

  const broker = connection(config, hal);
  const session: MqttSession = new MqttSession({
    mqtt: hal.mqtt,
    timers: hal.timers,
    crypto: hal.crypto,
    log,
    topics,
    subscriptions: qr ? [topics.charges] : [],
    connect: {
      host: broker.endpoint.host,
      port: broker.endpoint.port,
      clientId: system.deviceId,
      username: config.username,
      password: config.password,
      keepalive: config.keepalive,
      tls: broker.tls,
    },
    linkUp: hal.network.status().link === "up",
    backoff: config.reconnect,
    onlineStatus: () => status(true),
    offlineStatus: status(false),
    onMessage: (message, settle) => {
      if (message.topic === topics.payments) {
        log.event("info", "received", { bytes: message.payload.length, qos: message.qos });
        pipeline.receive(message.payload, settle);
      } else if (message.topic === topics.commands) {
        commands.receive(message.payload, settle);
      } else if (qr && message.topic === topics.charges) {
        qr.receiveCharge(message.payload);
        settle();
      } else if (message.topic === topics.updateData) {
        settle();
        updates?.onData(message.payload);
      } else {
        settle();
      }
    },
    onStateChange: (state) => {
      log.event("info", "session", { state });
      soundbox?.session(state === "online");
      qr?.setOnline(state === "online");
      if (state !== "online") updates?.onOffline();
    },
    onReady: () => updates?.onReady(),
    onConnected: () => acks.resend(),
  });
  const unlistenNetwork = hal.network.listen((network) => session.link(network.link === "up"));

  const acks = new AckCourier({
    journal,
    log,
    publish: (payload) => session.publish(topics.acks, payload, 1),
    publishTracked: (payload, onPuback) => session.publishTracked(topics.acks, payload, onPuback),
  });

  const keyring = new Keyring(hal.kv, clock);
  for (const keyId of keyring.prune(clock.now())) log.event("info", "key-retired", { kid: keyId, by: "time" });
  const pipeline = new PaymentPipeline({
    deviceId: system.deviceId,
    clock,
    crypto: hal.crypto,
    log,
    keyring,
    journal,
    announce: (entry) => {
      if (isLate(entry, config.lateAfterMs)) {
        log.event("info", "late", { txn: entry.confirmation.transactionId, ageMs: entry.receivedAt - entry.confirmation.confirmedAt });
        soundbox?.late(entry);
        late.add(entry);
        return;
      }
      soundbox?.payment(entry);
      qr?.confirmed(entry);
    },
    acks,
  });

  const commands = new CommandDispatcher({
    deviceId: system.deviceId,
    clock,
    crypto: hal.crypto,
    log,
    keyring,
    ledger: new CommandLedger(hal.kv),
    publishResult: (payload) => session.publish(topics.commandResults, payload, 1),
  });

  if (soundbox) registerSoundboxCommands(commands, soundbox);
  if (updates) registerUpdateCommand(commands, updates);

  // Phones that tap the display open the same payment as the code on screen: the charge on offer,
  // else the merchant's static link.
  const staticLink = hal.nfc ? merchantUpiLink(config) : undefined;
  const nfc = hal.nfc
    ? new NfcTerminal({
        hal,
        transport: hal.nfc,
        keyring,
        operatorKey: config.operatorPublicKey,
        publishTap: (payload) => session.publish(topics.tap, payload, 1),
        paymentLink: () => qr?.current()?.upiLink ?? staticLink,
        currentCharge: () => qr?.current(),
      })
    : undefined;
  soundbox?.start();

  const selftest = new SelfTest({
    hal,
    publish: (payload) => session.publish(topics.selftest, payload, 1, true),
    sessionReady: () => session.ready,
    nfcVersion: nfc ? () => nfc.reader.firmware : undefined,
    takeOver: () => {
      soundbox?.stop();
      qr?.stop();
    },
  });
  registerSelfTestCommand(commands, selftest);
  // After the product took the buttons: the watcher passes every edge on to it.
  const selftestEntry = new SelfTestEntry({
    buttons: hal.buttons,
    timers: hal.timers,
    combination: ENTRY_COMBINATIONS[system.product],
    onEnter: () => selftest.start("buttons"),
  });

  // A restart between journaling and announcing must not lose the announcement, and the service,
  // whose message was already settled, still needs its ack: once announced, the entry's ack is
  // outstanding, and the first connect sends it.
  for (const entry of journal.unannounced()) {
    log.event("info", "recovered", { txn: entry.confirmation.transactionId, seq: entry.sequence });
    soundbox?.payment(entry);
    journal.markAnnounced(entry);
  }

  const publishTelemetry = () =>
    session.publish(
      topics.telemetry,
      encodeTelemetry(hal, { counters: pipeline.counters, outboxDropped: () => session.dropped, journalUnreadable: journal.unreadableAtStart }),
      0,
    );
  // Devices that power up together (the market's power comes back) must not all report in the
  // same second of every period: the first report comes after a random part of the period.
  const random = hal.crypto.randomBytes(2);
  let telemetry = hal.timers.once(() => {
    publishTelemetry();
    telemetry = hal.timers.repeat(publishTelemetry, config.telemetryEveryMs);
  }, Math.floor((((random[0] << 8) | random[1]) / 0x10000) * config.telemetryEveryMs));

  commands.register(
    "config",
    configCommand({
      kv: hal.kv,
      defaults,
      log,
      onApplied: (next, changed) => {
        config = next;
        if (changed.indexOf("telemetrySec") >= 0) {
          hal.timers.clear(telemetry);
          telemetry = hal.timers.repeat(publishTelemetry, config.telemetryEveryMs);
        }
      },
    }),
  );
  const keyCommands = { keyring, clock, crypto: hal.crypto, log };
  commands.register("rotate-key", rotateKeyCommand(keyCommands));
  commands.register("retire-key", retireKeyCommand(keyCommands));

  qr?.restoreCharge();

  log.event("info", "started", { product: system.product, fw: system.firmwareVersion, device: system.deviceId, lang: language.code });
  updates?.start();
  session.start();
  return {
    pipeline,
    commands,
    session,
    soundbox,
    qr,
    updates,
    nfc,
    selftest,
    stop: () => {
      hal.timers.clear(telemetry);
      unlistenNetwork();
      selftestEntry.close();
      selftest.stop();
      updates?.stop();
      nfc?.stop();
      soundbox?.stop();
      qr?.stop();
      session.stop();
    },
  };
}
