/**
 * How long an NVS partition lasts, two ways:
 *
 * - the page-fill model: NVS appends, so every 126 entries written fill a page, and each page
 *   filled needs one erased later. Live entries stay where they are and hold pages out of the
 *   rotation (one page more is always kept free); the written pages rotate evenly through the
 *   rest, because NVS is log-structured. Erases per page per day are page fills per day over the
 *   pages in rotation. It ignores the entries reclaiming copies, which add to the fills.
 * - the replay: the day's recorded writes go through NvsPages day after day, reclaiming pages as
 *   ESP-IDF does, live items copied included; the figure is the most-erased page's erases per day
 *   once the partition is in its steady state.
 *
 * Either way the years are the flash's rated erase cycles over that page's erases per year.
 */
import { ENTRIES_PER_PAGE, PAGE_SIZE } from "../../provision/nvs/layout";
import type { KvWrite } from "./counting-kv";
import { NvsPages } from "./nvs-pages";

/**
 * Program/erase cycles per 4 KB sector: the endurance SPI NOR flash datasheets state for the chips
 * on ESP32 modules (the GigaDevice GD25Q32 family: 100K), taken as typical; the module's own chip decides.
 */
export const RATED_ERASE_CYCLES = 100_000;
const DAYS_PER_YEAR = 365;

export interface FillModel {
  entriesPerDay: number;
  pageFillsPerDay: number;
  /** Pages neither held by live entries nor kept free. */
  pagesInRotation: number;
  erasesPerPagePerDay: number;
  years: number;
}

export function fillModel(entriesPerDay: number, liveEntries: number, partitionBytes: number): FillModel {
  const pages = partitionBytes / PAGE_SIZE;
  const pagesInRotation = pages - 1 - Math.ceil(liveEntries / ENTRIES_PER_PAGE);
  const pageFillsPerDay = entriesPerDay / ENTRIES_PER_PAGE;
  const erasesPerPagePerDay = pagesInRotation > 0 ? pageFillsPerDay / pagesInRotation : Infinity;
  return { entriesPerDay, pageFillsPerDay, pagesInRotation, erasesPerPagePerDay, years: RATED_ERASE_CYCLES / erasesPerPagePerDay / DAYS_PER_YEAR };
}

export interface Replay {
  days: number;
  /** Entries the firmware wrote, per day. */
  writtenPerDay: number;
  /** Entries reclaiming pages copied, per day. */
  copiedPerDay: number;
  /** (written + copied) / written. */
  writeAmplification: number;
  erasesPerDay: number;
  /** The most-erased page's erases per day, and the mean over all pages. */
  maxPageErasesPerDay: number;
  meanPageErasesPerDay: number;
  liveEntries: number;
  years: number;
}

/**
 * Replays `provisioned` (what the image and the first boot wrote), then `day(n)` for `warmupDays`
 * unmeasured days and `days` measured ones.
 */
export function replayDays(partitionBytes: number, provisioned: readonly KvWrite[], day: (n: number) => readonly KvWrite[], warmupDays: number, days: number): Replay {
  const nvs = new NvsPages(partitionBytes);
  for (const write of provisioned) nvs.apply(write);
  for (let n = 0; n < warmupDays; n++) for (const write of day(n)) nvs.apply(write);
  const before = nvs.stats();
  for (let n = warmupDays; n < warmupDays + days; n++) for (const write of day(n)) nvs.apply(write);
  const after = nvs.stats();
  const written = after.writtenEntries - before.writtenEntries;
  const copied = after.copiedEntries - before.copiedEntries;
  const perPage = after.erasesPerPage.map((e, i) => (e - before.erasesPerPage[i]) / days);
  const maxPage = Math.max(...perPage);
  return {
    days,
    writtenPerDay: written / days,
    copiedPerDay: copied / days,
    writeAmplification: written > 0 ? (written + copied) / written : 1,
    erasesPerDay: (after.erases - before.erases) / days,
    maxPageErasesPerDay: maxPage,
    meanPageErasesPerDay: perPage.reduce((a, b) => a + b, 0) / perPage.length,
    liveEntries: after.liveEntries,
    years: maxPage > 0 ? RATED_ERASE_CYCLES / maxPage / DAYS_PER_YEAR : Infinity,
  };
}
