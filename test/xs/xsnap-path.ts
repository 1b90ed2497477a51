/**
 * Where scripts/build-xsnap.mjs puts the `xsnap` binary: the release build inside the installed
 * @agoric/xsnap package. Keep in step with `xsnapBinaryPath()` there.
 */
import { createRequire } from "node:module";
import { platform } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export const BUILD_SCRIPT = join(REPO_ROOT, "scripts", "build-xsnap.mjs");

export function xsnapBinaryPath(): string {
  const packageJson = createRequire(join(REPO_ROOT, "package.json")).resolve("@agoric/xsnap/package.json");
  const dir = platform() === "darwin" ? "mac" : "lin";
  return join(dirname(packageJson), "moddable", "build", "bin", dir, "release", "xsnap");
}
