/**
 * Firmware images for the simulator. A simulated device always runs this repository's firmware,
 * so an image stands for a build: a header with its version and product (and, for tests and
 * demos, a fault the build has), then filler to a realistic size. The simulated boot loader reads
 * the header of the slot it boots, as ESP-IDF reads an app image's descriptor.
 *
 *   "PTSIM1\n" {"version": "0.2.0", "product": "soundbox", "fault"?: "crash" | "offline"} "\n" filler
 *
 * Faults: "crash" resets the device shortly after it starts (before it can connect), every boot;
 * "offline" never reaches the broker. Either way the image never confirms and is rolled back.
 */
import { createHash } from "node:crypto";
import type { Product } from "../../hal/system";
import { parseVersion } from "../../firmware/update/version";

export const SIM_IMAGE_MAGIC = "PTSIM1\n";
export const SIM_FAULTS = ["crash", "offline"] as const;
export type SimFault = (typeof SIM_FAULTS)[number];
const PRODUCTS: readonly Product[] = ["soundbox", "qr-display"];
const MAX_HEADER_BYTES = 512;
export const DEFAULT_SIM_IMAGE_BYTES = 256 * 1024;

export interface SimImageHeader {
  version: string;
  product: Product;
  fault?: SimFault;
}

export function buildSimImage(header: SimImageHeader, size = DEFAULT_SIM_IMAGE_BYTES): Uint8Array {
  if (!parseVersion(header.version)) throw new Error(`not a semantic version: ${JSON.stringify(header.version)}`);
  const head = Buffer.from(`${SIM_IMAGE_MAGIC}${JSON.stringify(header)}\n`);
  if (size < head.length) throw new Error(`an image needs at least ${head.length} bytes`);
  const image = new Uint8Array(size);
  image.set(head);
  // Filler that differs per build, like code would: SHA-256 in counter mode over the header.
  for (let offset = head.length, block = 0; offset < size; block++) {
    const bytes = createHash("sha256").update(head).update(String(block)).digest();
    image.set(bytes.subarray(0, Math.min(bytes.length, size - offset)), offset);
    offset += bytes.length;
  }
  return image;
}

/** The header of an image, or why the bytes are not a simulator image. */
export function readSimImageHeader(read: (offset: number, into: Uint8Array) => void): SimImageHeader | string {
  const head = new Uint8Array(MAX_HEADER_BYTES);
  read(0, head);
  const text = Buffer.from(head).toString("latin1");
  if (!text.startsWith(SIM_IMAGE_MAGIC)) return "not a simulator image (no PTSIM1 header)";
  const end = text.indexOf("\n", SIM_IMAGE_MAGIC.length);
  if (end < 0) return "simulator image header is not terminated";
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(head.subarray(SIM_IMAGE_MAGIC.length, end)).toString("utf8"));
  } catch {
    return "simulator image header is not JSON";
  }
  const { version, product, fault } = (header ?? {}) as Record<string, unknown>;
  if (typeof version !== "string" || !parseVersion(version)) return "simulator image header has no valid version";
  const knownProduct = PRODUCTS.find((p) => p === product);
  if (!knownProduct) return "simulator image header has no valid product";
  if (fault !== undefined && !SIM_FAULTS.includes(fault as SimFault)) return `unknown simulated fault ${JSON.stringify(fault)}`;
  return fault === undefined ? { version, product: knownProduct } : { version, product: knownProduct, fault: fault as SimFault };
}
