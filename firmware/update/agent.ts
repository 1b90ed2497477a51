/**
 * The device's side of updates, from offer to confirmation:
 *
 *   offer --signature, policy--> downloading --slot checked--> ready --idle--> switching --restart-->
 *   trial --connected and subscribed--> confirmed
 *     \--not healthy within the health window: restart; the boot path counts trial boots and,
 *        past the limit, boots the previous image again--> rolled back
 *
 * A voice pack takes the same road until its bytes are in and hashed, then its contents are
 * checked (`voicePacks.check`: a whole pack for the release's language, every clip as its index
 * says) and it is installed at once: no restart, no trial. A pack that fails is not installed.
 * Every step that must survive a power cut is in the records (record.ts) before it is acted on,
 * and `start` reads them on every boot, with the boot state, to pick up where things stood.
 * The trigger is one call, `offer(signedManifest)`, made by the `update` command.
 */
import type { Clock, TimerHandle, Timers } from "../../hal/clock";
import type { Crypto } from "../../hal/crypto";
import type { KeyValueStore } from "../../hal/kv";
import type { Log } from "../../hal/log";
import type { QoS } from "../../hal/mqtt";
import type { SystemInfo } from "../../hal/system";
import { otherSlot, UpdateStorageError, type BootState, type ImageArea, type InstalledVoicePack, type UpdateStorage } from "../../hal/update";
import { constantTimeEqual } from "../protocol/bytes";
import type { DeviceTopics } from "../protocol/topics";
import { Download, type DownloadOptions } from "./download";
import { verifyManifest, type Manifest } from "./manifest";
import { decodeUpdateData, encodeUpdateState, UpdateMessageError, type UpdateStateReport } from "./messages";
import { checkRelease } from "./policy";
import { UpdateReason, UpdateRefusal, type UpdateReasonCode } from "./reasons";
import { UpdateRecords, type UpdateRecord } from "./record";
import { compareVersionText } from "./version";

export interface UpdatePolicy {
  /** The operator's release key: an uncompressed P-256 point (65 bytes). */
  publicKey: Uint8Array | undefined;
  /** Boots a new image may take to prove itself healthy. */
  trialBoots: number;
  /** How long each trial boot waits to be connected and subscribed before restarting. */
  healthMs: number;
  allowDowngrade: boolean;
}

export interface UpdateAgentOptions {
  storage: UpdateStorage;
  kv: KeyValueStore;
  crypto: Crypto;
  timers: Timers;
  clock: Clock;
  log: Log;
  system: SystemInfo;
  topics: DeviceTopics;
  policy: UpdatePolicy;
  publish(topic: string, payload: Uint8Array, qos: QoS, retain: boolean): void;
  /** True while a restart would cut something short (an announcement playing). */
  busy?(): boolean;
  /** What takes voice packs (the soundbox's voice); without it a downloaded pack is installed unchecked. */
  voicePacks?: VoicePackHandler;
  download?: Pick<DownloadOptions, "window" | "timeoutMs" | "maxAttempts" | "maxBlockRetries">;
}

export interface VoicePackHandler {
  /** Checks a downloaded pack in the inactive area; `done` runs on a later turn with why it cannot be installed, or undefined. */
  check(read: (offset: number, into: Uint8Array) => void, size: number, release: { language: string; version: string }, done: (problem: string | undefined) => void): { cancel(): void };
  /** The pack is the active one now. */
  installed(pack: InstalledVoicePack): void;
}

export type OfferResult = { accepted: true; releaseId: string } | { accepted: false; reason: UpdateReasonCode; detail: string };

export type AgentPhase = "idle" | "downloading" | "ready" | "switching" | "trial";

/** While busy, the switch to a new image is looked at again after this long. */
const SWITCH_RETRY_MS = 1000;
/** Time for the "switching" report to leave before the restart. */
const SWITCH_GRACE_MS = 500;

export class UpdateAgent {
  readonly #o: UpdateAgentOptions;
  readonly #records: UpdateRecords;
  readonly #boot: BootState;
  #phase: AgentPhase = "idle";
  #manifest: Manifest | undefined;
  #download: Download | undefined;
  /** The release on trial; null when on trial with no record of which (NVS lost). */
  #trial: Manifest | null | undefined;
  #timer: TimerHandle | undefined;
  #packCheck: { cancel(): void } | undefined;
  #ready = false;

  constructor(options: UpdateAgentOptions) {
    this.#o = options;
    this.#records = new UpdateRecords(options.kv);
    this.#boot = options.storage.firmware.boot();
  }

  get phase(): AgentPhase {
    return this.#phase;
  }

  get boot(): BootState {
    return this.#boot;
  }

  /** The release under way or on trial. */
  get release(): Manifest | undefined {
    return this.#manifest ?? this.#trial ?? undefined;
  }

  /** Bytes of the current download known to be in the slot. */
  get offset(): number | undefined {
    return this.#download?.offset;
  }

  /** Reads the boot state and the records, and carries on from there. Call once, at start. */
  start(): void {
    const record = this.#records.load();
    const manifest = record && this.#storedManifest(record);
    const { log } = this.#o;
    const boot = this.#boot;
    if (boot.rolledBack) {
      log.event("warn", "update-rolled-back", { slot: boot.slot, version: manifest?.version });
      this.#records.clear();
      this.#report({ stage: "rolled-back", reason: UpdateReason.rolledBack, ...this.#about(manifest) });
      return;
    }
    if (boot.trial) {
      const known = manifest?.kind === "firmware" && record && record.step !== "dl" && record.slot === boot.slot;
      this.#trial = known ? manifest : null;
      if (known && record.step === "ready") this.#records.setStep("trial");
      this.#phase = "trial";
      log.event("info", "update-trial", { boot: boot.trialBoots, of: boot.trialLimit, version: this.#o.system.firmwareVersion });
      this.#report({ stage: "trial", ...this.#about(this.#trial ?? undefined) });
      this.#timer = this.#o.timers.once(() => this.#unhealthy(), this.#o.policy.healthMs);
      return;
    }
    if (!record || !manifest) return;
    if (record.step === "trial") {
      // Switched to it, and now running without a trial: confirmed (the records' last write was
      // lost to a power cut) if it runs from its slot, otherwise it never booted.
      if (record.slot === boot.slot) this.#confirmed(manifest);
      else {
        log.event("warn", "update-rolled-back", { slot: boot.slot, version: manifest.version });
        this.#records.clear();
        this.#report({ stage: "rolled-back", reason: UpdateReason.rolledBack, ...this.#about(manifest) });
      }
      return;
    }
    if (manifest.kind === "firmware" && record.slot !== otherSlot(boot.slot)) {
      // The slot it was going to is the one running now: what was written there is gone.
      log.event("warn", "update-abandoned", { release: manifest.releaseId, slot: record.slot });
      this.#records.clear();
      return;
    }
    this.#startDownload(manifest, record);
  }

  /** The trigger: a signed manifest, from the `update` command. */
  offer(signed: Uint8Array): OfferResult {
    let manifest: Manifest | undefined;
    try {
      if (this.#phase === "trial" || this.#phase === "switching")
        throw new UpdateRefusal(UpdateReason.busy, `an update is ${this.#phase === "trial" ? "on trial" : "switching"}; it must confirm or roll back first`);
      manifest = verifyManifest(signed, this.#o.policy.publicKey, this.#o.crypto);
      checkRelease(manifest, this.#policyContext(manifest));
    } catch (error) {
      if (!(error instanceof UpdateRefusal)) throw error;
      this.#o.log.event("warn", "update-refused", { reason: error.code, detail: error.message });
      this.#report({ stage: "refused", reason: error.code, detail: error.message, ...this.#about(manifest) });
      return { accepted: false, reason: error.code, detail: error.message };
    }
    const current = this.#manifest;
    if (current?.releaseId === manifest.releaseId) return { accepted: true, releaseId: manifest.releaseId };
    if (current) {
      this.#o.log.event("info", "update-superseded", { release: current.releaseId, by: manifest.releaseId });
      this.#download?.cancel();
      this.#download = undefined;
      this.#packCheck?.cancel();
      this.#packCheck = undefined;
      if (this.#timer) this.#o.timers.clear(this.#timer);
      this.#timer = undefined;
    }
    this.#o.log.event("info", "update-offered", { release: manifest.releaseId, kind: manifest.kind, version: manifest.version, size: manifest.size });
    // The same release again (after a failure, or offered twice): keep what is in the slot.
    let record = this.#records.load();
    if (!record || !constantTimeEqual(record.signed, signed)) {
      this.#records.begin(signed, manifest.kind === "firmware" ? otherSlot(this.#boot.slot) : undefined);
      record = this.#records.load() as UpdateRecord;
    }
    this.#startDownload(manifest, record);
    return { accepted: true, releaseId: manifest.releaseId };
  }

  /** The session is connected and every subscription granted. */
  onReady(): void {
    this.#ready = true;
    if (this.#phase === "trial") this.#confirm();
    this.#download?.resume();
  }

  onOffline(): void {
    this.#ready = false;
    this.#download?.pause();
  }

  /** A message on upd/data. */
  onData(payload: Uint8Array): void {
    if (!this.#download) return;
    try {
      this.#download.receive(decodeUpdateData(payload));
    } catch (error) {
      if (!(error instanceof UpdateMessageError)) throw error;
      this.#o.log.event("warn", "update-data-rejected", { detail: error.message });
    }
  }

  stop(): void {
    if (this.#timer) this.#o.timers.clear(this.#timer);
    this.#timer = undefined;
    this.#packCheck?.cancel();
    this.#packCheck = undefined;
    this.#download?.pause();
  }

  #startDownload(manifest: Manifest, record: UpdateRecord): void {
    const area = this.#area(manifest);
    if (!area) return this.#failed(manifest, UpdateReason.unsupported, `no storage for a ${manifest.kind}`);
    this.#manifest = manifest;
    this.#phase = "downloading";
    try {
      this.#download = new Download(
        {
          ...this.#o.download,
          manifest,
          area,
          records: this.#records,
          crypto: this.#o.crypto,
          timers: this.#o.timers,
          log: this.#o.log,
          request: (payload) => this.#o.publish(this.#o.topics.updateGet, payload, 0, false),
          events: {
            progress: (offset, size) => this.#report({ stage: "downloading", offset, size, ...this.#about(manifest) }),
            complete: () => this.#downloaded(manifest),
            failed: (reason, detail) => this.#failed(manifest, reason, detail),
          },
        },
        { offset: record.offset, table: record.table },
      );
    } catch (error) {
      if (!(error instanceof UpdateStorageError)) throw error;
      return this.#failed(manifest, UpdateReason.storage, error.message);
    }
    this.#report({ stage: "downloading", offset: this.#download.offset, size: manifest.size, ...this.#about(manifest) });
    if (this.#ready) this.#download.resume();
  }

  #downloaded(manifest: Manifest): void {
    this.#download = undefined;
    this.#o.log.event("info", "update-verified", { release: manifest.releaseId, version: manifest.version });
    if (manifest.kind === "voice-pack") return this.#checkVoicePack(manifest);
    this.#records.setStep("ready");
    this.#phase = "ready";
    this.#report({ stage: "ready", ...this.#about(manifest) });
    this.#switchWhenIdle(manifest);
  }

  #checkVoicePack(manifest: Manifest): void {
    const handler = this.#o.voicePacks;
    const area = this.#area(manifest);
    if (!handler || !area) return this.#installVoicePack(manifest);
    const release = { language: manifest.language as string, version: manifest.version };
    this.#packCheck = handler.check((offset, into) => area.read(offset, into), manifest.size, release, (problem) => {
      this.#packCheck = undefined;
      if (problem !== undefined) return this.#failed(manifest, UpdateReason.badPack, problem);
      this.#installVoicePack(manifest);
    });
  }

  #installVoicePack(manifest: Manifest): void {
    const voice = this.#o.storage.voice;
    const language = manifest.language as string;
    const pack: InstalledVoicePack = { language, version: manifest.version, size: manifest.size };
    try {
      voice?.activate(pack);
    } catch (error) {
      return this.#failed(manifest, UpdateReason.activateFailed, (error as Error).message);
    }
    this.#raiseFloor(this.#records.voiceFloor(language), manifest.minVersion, (floor) => this.#records.setVoiceFloor(language, floor));
    this.#records.clear();
    this.#manifest = undefined;
    this.#phase = "idle";
    this.#o.log.event("info", "voice-pack-installed", { language, version: manifest.version });
    this.#report({ stage: "installed", ...this.#about(manifest) });
    this.#o.voicePacks?.installed(pack);
  }

  #switchWhenIdle(manifest: Manifest): void {
    if (this.#o.busy?.()) {
      this.#timer = this.#o.timers.once(() => this.#switchWhenIdle(manifest), SWITCH_RETRY_MS);
      return;
    }
    this.#timer = undefined;
    try {
      this.#o.storage.firmware.activate(manifest.size, this.#o.policy.trialBoots);
    } catch (error) {
      return this.#failed(manifest, UpdateReason.activateFailed, (error as Error).message);
    }
    this.#records.setStep("trial");
    this.#phase = "switching";
    this.#o.log.event("info", "update-switching", { release: manifest.releaseId, version: manifest.version, trials: this.#o.policy.trialBoots });
    this.#report({ stage: "switching", ...this.#about(manifest) });
    this.#timer = this.#o.timers.once(() => this.#o.system.restart(), SWITCH_GRACE_MS);
  }

  #confirm(): void {
    if (this.#timer) this.#o.timers.clear(this.#timer);
    this.#timer = undefined;
    this.#o.storage.firmware.confirm();
    this.#confirmed(this.#trial ?? undefined);
  }

  #confirmed(manifest: Manifest | undefined): void {
    if (manifest) this.#raiseFloor(this.#records.floor(), manifest.minVersion, (floor) => this.#records.setFloor(floor));
    this.#records.clear();
    this.#trial = undefined;
    this.#phase = "idle";
    this.#o.log.event("info", "update-confirmed", { version: this.#o.system.firmwareVersion });
    this.#report({ stage: "confirmed", ...this.#about(manifest), version: this.#o.system.firmwareVersion });
  }

  #unhealthy(): void {
    this.#timer = undefined;
    const { trialBoots, trialLimit } = this.#boot;
    this.#o.log.event("warn", "update-unhealthy", { boot: trialBoots, of: trialLimit, waitedMs: this.#o.policy.healthMs });
    // The boot path counts this restart; past the limit it returns to the previous image.
    this.#o.system.restart();
  }

  #failed(manifest: Manifest, reason: UpdateReasonCode, detail: string): void {
    this.#o.log.event("warn", "update-failed", { release: manifest.releaseId, reason, detail });
    this.#download = undefined;
    this.#manifest = undefined;
    this.#phase = "idle";
    // After a timeout the bytes in the slot are good: the same offer resumes from them.
    if (reason !== UpdateReason.timeout) this.#records.clear();
    this.#report({ stage: "failed", reason, detail, ...this.#about(manifest) });
  }

  #raiseFloor(current: string | undefined, candidate: string, save: (floor: string) => void): void {
    if (current === undefined || compareVersionText(candidate, current) > 0) save(candidate);
  }

  #area(manifest: Manifest): ImageArea | undefined {
    return manifest.kind === "firmware" ? this.#o.storage.firmware.inactive : this.#o.storage.voice?.inactive;
  }

  #policyContext(manifest: Manifest) {
    const voice = this.#o.storage.voice;
    return {
      product: this.#o.system.product,
      runningFirmware: this.#o.system.firmwareVersion,
      firmwareFloor: this.#records.floor(),
      installedVoice: voice?.active(),
      voiceFloor: manifest.language === undefined ? undefined : this.#records.voiceFloor(manifest.language),
      allowDowngrade: this.#o.policy.allowDowngrade,
      capacity: this.#area(manifest)?.capacity,
    };
  }

  /** The stored manifest, checked again: NVS is not where trust comes from. */
  #storedManifest(record: UpdateRecord): Manifest | undefined {
    try {
      return verifyManifest(record.signed, this.#o.policy.publicKey, this.#o.crypto);
    } catch (error) {
      if (!(error instanceof UpdateRefusal)) throw error;
      this.#o.log.event("warn", "update-record-unreadable", { reason: error.code });
      this.#records.clear();
      return undefined;
    }
  }

  #about(manifest: Manifest | undefined): Partial<UpdateStateReport> {
    return manifest ? { kind: manifest.kind, releaseId: manifest.releaseId, version: manifest.version } : {};
  }

  #report(report: Omit<UpdateStateReport, "firmware" | "at">): void {
    const full: UpdateStateReport = { ...report, firmware: this.#o.system.firmwareVersion, at: this.#o.clock.now() };
    this.#o.publish(this.#o.topics.updateState, encodeUpdateState(full), 1, true);
  }
}
