/**
 * ESP-IDF's NVS on one partition, reduced to what wears the flash: the entries each write takes on
 * which page, when a page is reclaimed (its live items copied to a fresh page, then its sector
 * erased), and how often each sector has been erased. It replays the writes CountingKv recorded.
 *
 * The behaviour followed, from ESP-IDF's nvs_flash sources (nvs_storage.cpp, nvs_page.cpp,
 * nvs_pagemanager.cpp as of 2025; Moddable SDK 8.2.3 builds with ESP-IDF v6.0), read, not copied:
 * - items are appended to the active page; one that does not fit (a primitive or a string never
 *   spans pages) marks the page full and asks for a new page;
 * - a blob is chunks then a blob_idx entry: its first chunk goes to a new page when the active page
 *   has less room than the blob and less than a tenth of a page's payload room, otherwise the blob
 *   is cut at the end of the page and goes on on the next; the index goes on a new page when the
 *   last chunk left less than an entry free;
 * - a new page comes from the free pages while two or more are free; with one left, the page with
 *   the most entries not holding live data (erased, or never written) is reclaimed: its live items
 *   are copied to the new page, then its sector is erased and goes back to the free pages;
 * - Moddable's preference module erases a key before every set (modules/files/preference/esp32/
 *   modPreference.c), so NVS's skipping of an unchanged value never happens: every set is written;
 * - a namespace costs one entry the first time it is written to.
 * Entry sizes are variableItemEntries, the image writer's rule.
 */
import { ENTRIES_PER_PAGE, ENTRY_SIZE, PAGE_SIZE, variableItemEntries } from "../../provision/nvs/layout";
import type { KvWrite } from "./counting-kv";

/** A blob's payload room on an empty page: every entry but the chunk's header (CHUNK_MAX_SIZE). */
const CHUNK_MAX_BYTES = (ENTRIES_PER_PAGE - 1) * ENTRY_SIZE;

export class NvsFullError extends Error {}

/** One item on a page: a primitive, a string, a blob chunk or a blob index. */
interface Piece {
  span: number;
  live: boolean;
  page: Page;
}

class Page {
  pieces: Piece[] = [];
  /** Next entry to write. */
  next = 0;
  /** Entries of live items. */
  used = 0;
  full = false;
  erases = 0;

  constructor(readonly index: number) {}

  /** Payload bytes a blob chunk could still take here (getVarDataTailroom). */
  get tailroom(): number {
    if (this.full) return 0;
    return this.next < ENTRIES_PER_PAGE - 1 ? (ENTRIES_PER_PAGE - this.next - 1) * ENTRY_SIZE : 0;
  }

  fits(span: number): boolean {
    return !this.full && this.next + span <= ENTRIES_PER_PAGE;
  }

  place(piece: Piece): void {
    piece.page = this;
    this.pieces.push(piece);
    this.next += piece.span;
    this.used += piece.span;
  }

  erase(): void {
    this.pieces = [];
    this.next = 0;
    this.used = 0;
    this.full = false;
    this.erases++;
  }
}

export interface NvsPageStats {
  pages: number;
  /** Entries the firmware's writes took. */
  writtenEntries: number;
  /** Entries reclaiming pages copied. */
  copiedEntries: number;
  /** Sector erases, all pages. */
  erases: number;
  /** Pages taken into use (a fill each). */
  activations: number;
  /** Erased pages waiting to be used. */
  freePages: number;
  liveEntries: number;
  /** Erases of each page. */
  erasesPerPage: number[];
}

export class NvsPages {
  readonly #pages: Page[];
  /** Pages in use, oldest first (mPageList); the last is the active page. */
  readonly #inUse: Page[] = [];
  /** Erased pages, the next to use first (mFreePageList). */
  readonly #free: Page[];
  /** The live pieces of each namespace/key. */
  readonly #items = new Map<string, Piece[]>();
  readonly #namespaces = new Set<string>();
  #written = 0;
  #copied = 0;
  #activations = 0;

  constructor(partitionBytes: number) {
    if (partitionBytes % PAGE_SIZE !== 0 || partitionBytes < 3 * PAGE_SIZE) throw new RangeError(`an NVS partition is 3 or more 4 KB pages, got ${partitionBytes} bytes`);
    this.#pages = Array.from({ length: partitionBytes / PAGE_SIZE }, (_, i) => new Page(i));
    this.#free = [...this.#pages];
    this.#activate();
  }

  apply(write: KvWrite): void {
    const id = `${write.domain}/${write.key}`;
    this.#erase(id);
    if (write.op === "delete") return;
    if (!this.#namespaces.has(write.domain)) {
      this.#namespaces.add(write.domain);
      this.#writeWhole(`\0${write.domain}`, 1);
    }
    const item = write.item;
    if (item.type === "blob") this.#writeBlob(id, item.payloadBytes);
    else this.#writeWhole(id, item.type === "string" ? variableItemEntries(item.payloadBytes) : 1);
  }

  stats(): NvsPageStats {
    let live = 0;
    for (const page of this.#pages) live += page.used;
    const erasesPerPage = this.#pages.map((p) => p.erases);
    return {
      pages: this.#pages.length,
      writtenEntries: this.#written,
      copiedEntries: this.#copied,
      erases: erasesPerPage.reduce((a, b) => a + b, 0),
      activations: this.#activations,
      freePages: this.#free.length,
      liveEntries: live,
      erasesPerPage,
    };
  }

  get #active(): Page {
    return this.#inUse[this.#inUse.length - 1];
  }

  #erase(id: string): void {
    const pieces = this.#items.get(id);
    if (!pieces) return;
    for (const piece of pieces) {
      piece.live = false;
      piece.page.used -= piece.span;
    }
    this.#items.delete(id);
  }

  #keep(id: string, piece: Piece): void {
    const pieces = this.#items.get(id);
    if (pieces) pieces.push(piece);
    else this.#items.set(id, [piece]);
  }

  #append(page: Page, id: string, span: number): void {
    const piece: Piece = { span, live: true, page };
    page.place(piece);
    this.#keep(id, piece);
    this.#written += span;
  }

  /** A primitive or a string: all on one page. */
  #writeWhole(id: string, span: number): void {
    if (!this.#active.fits(span)) {
      this.#active.full = true;
      this.#requestNewPage();
      if (!this.#active.fits(span)) throw new NvsFullError(`${id}: ${span} entries do not fit the page NVS freed`);
    }
    this.#append(this.#active, id, span);
  }

  #writeBlob(id: string, bytes: number): void {
    let chunks = 0;
    let remaining = bytes;
    for (;;) {
      const page = this.#active;
      const tailroom = page.tailroom;
      if (chunks === 0 && (tailroom < bytes || (tailroom === 0 && bytes === 0)) && tailroom < CHUNK_MAX_BYTES / 10) {
        page.full = true;
        this.#requestNewPage();
        if (this.#active.tailroom === tailroom) throw new NvsFullError(`${id}: no page has room for a blob of ${bytes} bytes`);
        continue;
      }
      if (tailroom === 0) throw new NvsFullError(`${id}: no room for the rest of a blob of ${bytes} bytes`);
      const chunk = Math.min(remaining, tailroom);
      remaining -= chunk;
      this.#append(page, id, variableItemEntries(chunk));
      chunks++;
      if (remaining > 0 || tailroom - chunk < ENTRY_SIZE) {
        page.full = true;
        this.#requestNewPage();
      }
      if (remaining === 0) {
        this.#append(this.#active, id, 1);
        return;
      }
    }
  }

  #activate(): void {
    const page = this.#free.shift();
    if (!page) throw new NvsFullError("no free page");
    this.#inUse.push(page);
    this.#activations++;
  }

  #requestNewPage(): void {
    if (this.#free.length >= 2) {
      this.#activate();
      return;
    }
    let victim: Page | undefined;
    let most = 0;
    for (const page of this.#inUse) {
      const unused = ENTRIES_PER_PAGE - page.used;
      if (unused > most) {
        victim = page;
        most = unused;
      }
    }
    if (!victim) throw new NvsFullError("every entry of every page holds live data");
    this.#activate();
    const fresh = this.#active;
    for (const piece of victim.pieces) {
      if (!piece.live) continue;
      fresh.place(piece);
      this.#copied += piece.span;
    }
    victim.erase();
    this.#inUse.splice(this.#inUse.indexOf(victim), 1);
    this.#free.push(victim);
  }
}
