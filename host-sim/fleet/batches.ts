/**
 * Runs `open(0..count-1)` with at most `concurrency` at a time: ten thousand connections opened
 * all at once would be a SYN flood against the broker, one at a time would take minutes.
 */
export async function inBatches<T>(count: number, concurrency: number, open: (index: number) => Promise<T>, onProgress?: (done: number) => void): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      out[index] = await open(index);
      done++;
      if (onProgress && done % 1000 === 0) onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}
