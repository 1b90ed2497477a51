/**
 * Recorded writes, replayed again and again, must move through the firmware's rings as the
 * firmware would: 300 recorded payments repeated for a month fill all 256 journal slots in turn,
 * not the same 300 slot writes each day, and a day's one command is in the next ledger slot each
 * day. RingSlots renames each ring write's slot: an append (a journal entry journaled, a command
 * running) takes the ring's next slot; later writes of the same recorded slot follow it there.
 */
import { DEFAULT_LEDGER_CAPACITY, LEDGER_DOMAIN } from "../../../firmware/commands/ledger";
import { DEFAULT_JOURNAL_CAPACITY, JOURNAL_DOMAIN } from "../../../firmware/payments/journal";
import { describeWrite } from "./classify";
import type { KvWrite } from "./counting-kv";

interface Ring {
  prefix: string;
  capacity: number;
  /** What describeWrite calls the write that adds a record. */
  append: string;
  next: number;
  /** Recorded slot -> the slot it was given at its last append. */
  moved: Map<number, number>;
}

export class RingSlots {
  readonly #rings = new Map<string, Ring>([
    [JOURNAL_DOMAIN, { prefix: "e", capacity: DEFAULT_JOURNAL_CAPACITY, append: "journal/e<slot> journaled", next: 0, moved: new Map() }],
    [LEDGER_DOMAIN, { prefix: "c", capacity: DEFAULT_LEDGER_CAPACITY, append: "cmdlog/c<slot> running", next: 0, moved: new Map() }],
  ]);

  place(write: KvWrite): KvWrite {
    const ring = this.#rings.get(write.domain);
    if (!ring || !write.key.startsWith(ring.prefix)) return write;
    const slot = Number(write.key.slice(ring.prefix.length));
    if (!Number.isInteger(slot)) return write;
    if (write.op === "set" && this.#label(write) === ring.append) {
      ring.moved.set(slot, ring.next);
      ring.next = (ring.next + 1) % ring.capacity;
    }
    const placed = ring.moved.get(slot) ?? slot;
    return { ...write, key: `${ring.prefix}${placed}` };
  }

  /** Recorded writes are replayed many times; each is decoded once. */
  readonly #labels = new WeakMap<KvWrite, string>();

  #label(write: KvWrite): string {
    let label = this.#labels.get(write);
    if (label === undefined) this.#labels.set(write, (label = describeWrite(write)));
    return label;
  }
}
