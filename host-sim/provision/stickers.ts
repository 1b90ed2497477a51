/**
 * The batch's stickers, one PNG and one PDF per merchant, and stickers/index.json: for each, a
 * digest of what it was made from and of the two files. A rerun whose inputs and files match the
 * index leaves them as they are without drawing them again (drawing is most of a rerun's time);
 * a changed merchant, a new device, or a file edited or deleted since is drawn afresh.
 */
import { createHash } from "node:crypto";
import type { OutputDir } from "./files";
import { merchantQrPayload } from "./merchant-qr";
import type { MerchantBinding } from "./model";
import type { Progress } from "./progress";
import { stickerPdf, stickerPng } from "./sticker";

/** Raise when the drawing changes, so every sticker is drawn again. */
const DRAWING_VERSION = 1;
const INDEX = "stickers/index.json";

export interface StickerJob {
  merchant: MerchantBinding;
  deviceIds: string[];
  /** When the merchant's first device was made: the PDF's date. */
  since: string;
}

interface IndexEntry {
  input: string;
  png: string;
  pdf: string;
  nameOmitted: boolean;
}

function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function readIndex(out: OutputDir): Record<string, IndexEntry> {
  const bytes = out.read(INDEX);
  if (!bytes) return {};
  try {
    const parsed = JSON.parse(bytes.toString("utf8")) as { version?: number; stickers?: Record<string, IndexEntry> };
    return parsed.version === DRAWING_VERSION && parsed.stickers ? parsed.stickers : {};
  } catch {
    // A damaged index only costs drawing every sticker again.
    return {};
  }
}

/** Writes every sticker; returns the ids whose names the PDF's standard fonts cannot show. */
export async function writeStickers(out: OutputDir, jobs: readonly StickerJob[], progress: Progress): Promise<string[]> {
  const previous = readIndex(out);
  const index: Record<string, IndexEntry> = {};
  const nameOmitted: string[] = [];
  if (jobs.length > 0) progress.begin(jobs.length, "stickers");
  for (const job of [...jobs].sort((a, b) => a.merchant.id.localeCompare(b.merchant.id))) {
    const id = job.merchant.id;
    const png = `stickers/${id}.png`;
    const pdf = `stickers/${id}.pdf`;
    const input = sha256(JSON.stringify({ merchant: job.merchant, devices: job.deviceIds, since: job.since }));
    const known = previous[id];
    const pngBytes = out.read(png);
    const pdfBytes = out.read(pdf);
    if (known?.input === input && pngBytes && pdfBytes && sha256(pngBytes) === known.png && sha256(pdfBytes) === known.pdf) {
      out.keep(png);
      out.keep(pdf);
      index[id] = known;
    } else {
      const image = stickerPng(merchantQrPayload(job.merchant));
      const sheet = await stickerPdf(job.merchant, job.deviceIds, new Date(job.since));
      out.write(png, image);
      out.write(pdf, sheet.bytes);
      index[id] = { input, png: sha256(image), pdf: sha256(sheet.bytes), nameOmitted: sheet.nameOmitted };
    }
    if (index[id].nameOmitted) nameOmitted.push(id);
    progress.step(id);
  }
  if (jobs.length > 0) progress.end();
  out.write(INDEX, `${JSON.stringify({ version: DRAWING_VERSION, stickers: index }, null, 1)}\n`);
  return nameOmitted;
}
