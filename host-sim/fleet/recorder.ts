/**
 * What happened to each message of a load run, by sequence number: when it was sent, when it
 * arrived (announced by a device, or received by a bare subscriber), and how often it arrived.
 * Typed arrays, grown by doubling: no object per message, so a million messages cost 16 MB.
 */
export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface SecondStats {
  /** Seconds since the run began, by send time. */
  second: number;
  sent: number;
  p50: number;
  p99: number;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export function percentiles(sorted: Float64Array | number[]): Percentiles {
  const n = sorted.length;
  if (n === 0) return { n: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
  return { n, p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(sorted[n - 1]) };
}

export class Recorder {
  #sentAt = new Float64Array(1 << 16);
  #doneAt = new Float64Array(1 << 16);
  #arrivals = new Uint16Array(1 << 16);
  #next = 0;
  /** Arrivals beyond the first, over all messages. */
  duplicates = 0;
  /** Arrivals for sequence numbers never sent (should stay 0). */
  strays = 0;

  /** Reserves the next sequence number and stamps its send time. */
  send(now: number): number {
    const seq = this.#next++;
    if (seq >= this.#sentAt.length) this.#grow();
    this.#sentAt[seq] = now;
    return seq;
  }

  get sent(): number {
    return this.#next;
  }

  arrived(seq: number, now: number): void {
    if (!(seq >= 0 && seq < this.#next)) {
      this.strays++;
      return;
    }
    const count = this.#arrivals[seq];
    if (count > 0) this.duplicates++;
    else this.#doneAt[seq] = now;
    if (count < 0xffff) this.#arrivals[seq] = count + 1;
  }

  /** Messages in [from, to) that arrived at least once. */
  delivered(from: number, to: number): number {
    let n = 0;
    for (let seq = from; seq < to; seq++) if (this.#arrivals[seq] > 0) n++;
    return n;
  }

  duplicatesIn(from: number, to: number): number {
    let n = 0;
    for (let seq = from; seq < to; seq++) if (this.#arrivals[seq] > 1) n += this.#arrivals[seq] - 1;
    return n;
  }

  /** Send-to-arrival times of [from, to), sorted, ms. */
  latencies(from: number, to: number): Float64Array {
    const out = new Float64Array(to - from);
    let n = 0;
    for (let seq = from; seq < to; seq++) if (this.#arrivals[seq] > 0) out[n++] = this.#doneAt[seq] - this.#sentAt[seq];
    return out.subarray(0, n).sort();
  }

  /** Latency of [from, to) grouped by the second it was sent in, counted from `origin`. */
  bySecond(from: number, to: number, origin: number): SecondStats[] {
    const groups = new Map<number, number[]>();
    const sentPer = new Map<number, number>();
    for (let seq = from; seq < to; seq++) {
      const second = Math.floor((this.#sentAt[seq] - origin) / 1000);
      sentPer.set(second, (sentPer.get(second) ?? 0) + 1);
      if (this.#arrivals[seq] === 0) continue;
      let group = groups.get(second);
      if (!group) groups.set(second, (group = []));
      group.push(this.#doneAt[seq] - this.#sentAt[seq]);
    }
    return [...sentPer.keys()].sort((a, b) => a - b).map((second) => {
      const p = percentiles((groups.get(second) ?? []).sort((a, b) => a - b));
      return { second, sent: sentPer.get(second) ?? 0, p50: p.p50, p99: p.p99 };
    });
  }

  /** Latency percentiles of messages that arrived in the last `windowMs`, for progress lines. */
  recent(now: number, windowMs: number, from: number): Percentiles {
    const samples: number[] = [];
    for (let seq = this.#next - 1; seq >= from; seq--) {
      if (now - this.#sentAt[seq] > windowMs + 10_000) break;
      if (this.#arrivals[seq] > 0 && now - this.#doneAt[seq] <= windowMs) samples.push(this.#doneAt[seq] - this.#sentAt[seq]);
    }
    return percentiles(samples.sort((a, b) => a - b));
  }

  #grow(): void {
    const size = this.#sentAt.length * 2;
    const sentAt = new Float64Array(size);
    sentAt.set(this.#sentAt);
    const doneAt = new Float64Array(size);
    doneAt.set(this.#doneAt);
    const arrivals = new Uint16Array(size);
    arrivals.set(this.#arrivals);
    this.#sentAt = sentAt;
    this.#doneAt = doneAt;
    this.#arrivals = arrivals;
  }
}
