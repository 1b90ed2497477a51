/**
 * Progress of a batch: a redrawn bar on a terminal, plain lines (every tenth of the way and at the
 * end) when the output is a file or a pipe, so logs of a 10,000-device run stay readable.
 */
export interface Progress {
  begin(total: number, what: string): void;
  step(label: string): void;
  end(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const BAR_WIDTH = 30;
const REDRAW_MS = 80;

export function progressOn(stream: ProgressStream, now: () => number = Date.now): Progress {
  let total = 0;
  let done = 0;
  let what = "";
  let lastDraw = 0;
  let lastTenth = 0;
  const tty = stream.isTTY === true;

  const draw = (label: string) => {
    const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
    const line = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${done}/${total} ${what} ${label}`;
    const width = stream.columns ?? 100;
    stream.write(`\r${line.slice(0, width - 1).padEnd(Math.min(width - 1, line.length + 10))}`);
  };

  return {
    begin(count, noun) {
      total = count;
      what = noun;
      done = 0;
      lastTenth = 0;
      if (tty) draw("");
      else stream.write(`${what}: ${total} to do\n`);
    },
    step(label) {
      done++;
      if (tty) {
        if (done === total || now() - lastDraw >= REDRAW_MS) {
          lastDraw = now();
          draw(label);
        }
        return;
      }
      const tenth = Math.floor((done * 10) / Math.max(total, 1));
      if (tenth > lastTenth || done === total) {
        lastTenth = tenth;
        stream.write(`${what}: ${done}/${total} (${label})\n`);
      }
    },
    end() {
      if (tty) stream.write("\n");
    },
  };
}

/** For library callers and tests that want no output. */
export const silentProgress: Progress = { begin() {}, step() {}, end() {} };
