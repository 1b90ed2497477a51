/**
 * Which signed releases a device takes. A valid signature is necessary, not sufficient:
 *
 * - The release is for this product.
 * - Never below the floor: the highest "min" of any release this device confirmed (firmware) or
 *   installed (voice pack, per language). A release raises the floor only once it has proven
 *   itself, so a rollback to the image before it is still allowed.
 * - Not the version already running (or installed, for the same language): refused as "current".
 * - Not older than what runs, unless the device's policy allows downgrades (config "updDown",
 *   off by default); even then never below the floor. An operator who must go back ships the old
 *   code under a new, higher version number instead.
 */
import type { Product } from "../../hal/system";
import type { InstalledVoicePack } from "../../hal/update";
import type { Manifest } from "./manifest";
import { UpdateReason, UpdateRefusal } from "./reasons";
import { compareVersions, parseVersion } from "./version";

export interface PolicyContext {
  product: Product;
  /** The firmware version running now. */
  runningFirmware: string;
  firmwareFloor: string | undefined;
  /** The installed voice pack, and the floor recorded for the release's language. */
  installedVoice: InstalledVoicePack | undefined;
  voiceFloor: string | undefined;
  allowDowngrade: boolean;
  /** Bytes the target area holds; undefined when the device has no area for this kind. */
  capacity: number | undefined;
}

function below(version: string, reference: string | undefined): boolean {
  if (reference === undefined) return false;
  const a = parseVersion(version);
  const b = parseVersion(reference);
  // A reference that is not a version (a development build's "dev") orders nothing.
  return !!a && !!b && compareVersions(a, b) < 0;
}

function same(version: string, reference: string | undefined): boolean {
  if (reference === undefined) return false;
  const a = parseVersion(version);
  const b = parseVersion(reference);
  return !!a && !!b && compareVersions(a, b) === 0;
}

/** Throws UpdateRefusal when the device must not take this release. */
export function checkRelease(manifest: Manifest, context: PolicyContext): void {
  if (manifest.product !== context.product)
    throw new UpdateRefusal(UpdateReason.wrongProduct, `release for ${manifest.product}, this is a ${context.product}`);
  if (context.capacity === undefined) throw new UpdateRefusal(UpdateReason.unsupported, `this device cannot store a ${manifest.kind}`);
  if (manifest.size > context.capacity)
    throw new UpdateRefusal(UpdateReason.tooLarge, `${manifest.size} bytes do not fit the ${context.capacity}-byte slot`);
  const voice = manifest.kind === "voice-pack";
  const floor = voice ? context.voiceFloor : context.firmwareFloor;
  if (below(manifest.version, floor)) throw new UpdateRefusal(UpdateReason.belowFloor, `${manifest.version} is below the floor ${floor}`);
  const running = voice ? (context.installedVoice?.language === manifest.language ? context.installedVoice?.version : undefined) : context.runningFirmware;
  if (same(manifest.version, running)) throw new UpdateRefusal(UpdateReason.current, `${manifest.version} is already ${voice ? "installed" : "running"}`);
  if (!context.allowDowngrade && below(manifest.version, running))
    throw new UpdateRefusal(UpdateReason.downgrade, `${manifest.version} is older than ${running}, and downgrades are not allowed`);
}
