/**
 * ESP-IDF partition tables in their CSV form (ESP-IDF "Partition Tables" guide): rows of
 * `name, type, subtype, offset, size, flags`, `#` comments, sizes and offsets in decimal, hex or
 * with K/M suffixes. An empty offset follows the previous partition, aligned to 0x10000 for app
 * partitions and 0x1000 for data; the first goes after the table at 0x8000, i.e. at 0x9000.
 */
export interface Partition {
  name: string;
  type: string;
  subtype: string;
  offset: number;
  size: number;
  /** Line in the file, for messages. */
  line: number;
}

const TABLE_OFFSET = 0x8000;
const TABLE_SIZE = 0x1000;

export class PartitionTableError extends Error {}

function number(text: string, what: string, line: number): number {
  const match = /^(0x[0-9a-f]+|\d+)([km]?)$/i.exec(text.trim());
  if (!match) throw new PartitionTableError(`line ${line}: ${what} ${JSON.stringify(text.trim())} is not a number (decimal, 0x hex, K or M suffix)`);
  const value = Number(match[1]);
  const scale = match[2].toLowerCase() === "k" ? 1024 : match[2].toLowerCase() === "m" ? 1024 * 1024 : 1;
  return value * scale;
}

export function parsePartitionTable(text: string): Partition[] {
  const partitions: Partition[] = [];
  let next = TABLE_OFFSET + TABLE_SIZE;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const content = raw.replace(/#.*/, "").trim();
    if (!content) return;
    const [name, type, subtype, offsetText = "", sizeText = ""] = content.split(",").map((f) => f.trim());
    if (!name || !type || !subtype || !sizeText) throw new PartitionTableError(`line ${line}: expected name, type, subtype, offset, size`);
    const alignment = type === "app" ? 0x10000 : 0x1000;
    const offset = offsetText ? number(offsetText, "offset", line) : Math.ceil(next / alignment) * alignment;
    if (offset % alignment !== 0) throw new PartitionTableError(`line ${line}: ${name} at 0x${offset.toString(16)} is not aligned to 0x${alignment.toString(16)}`);
    if (offset < next) throw new PartitionTableError(`line ${line}: ${name} at 0x${offset.toString(16)} overlaps the partition before it`);
    const size = number(sizeText, "size", line);
    partitions.push({ name, type, subtype, offset, size, line });
    next = offset + size;
  });
  return partitions;
}

/** The NVS partition the firmware's `preference` module uses: ESP-IDF's default one, named "nvs". */
export function nvsPartition(partitions: readonly Partition[], source: string): Partition {
  const nvs = partitions.find((p) => p.name === "nvs");
  if (!nvs) throw new PartitionTableError(`${source} has no partition named nvs`);
  if (nvs.type !== "data" || nvs.subtype !== "nvs") throw new PartitionTableError(`${source} line ${nvs.line}: nvs is ${nvs.type}/${nvs.subtype}, not data/nvs`);
  if (nvs.size % 0x1000 !== 0 || nvs.size < 0x3000) throw new PartitionTableError(`${source} line ${nvs.line}: nvs size 0x${nvs.size.toString(16)} is not a multiple of 0x1000 of at least 0x3000`);
  return nvs;
}
