import type { Log, LogFields, LogLevel } from "../../hal/log";

export interface DeviceEvent {
  at: number;
  device: string;
  level: LogLevel;
  name: string;
  fields: LogFields;
}

/** The simulator's log: every device event, kept for the web UI and tests, and passed on. */
export class EventLog implements Log {
  readonly events: DeviceEvent[] = [];
  readonly #listeners = new Set<(event: DeviceEvent) => void>();

  constructor(readonly device: string, private readonly limit = 2000) {}

  event(level: LogLevel, name: string, fields: LogFields = {}): void {
    const event: DeviceEvent = { at: Date.now(), device: this.device, level, name, fields };
    this.events.push(event);
    if (this.events.length > this.limit) this.events.splice(0, this.events.length - this.limit);
    for (const listener of this.#listeners) listener(event);
  }

  listen(listener: (event: DeviceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first event (from now on) that matches. */
  waitFor(predicate: (event: DeviceEvent) => boolean, timeoutMs = 5000): Promise<DeviceEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`${this.device}: no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = this.listen((event) => {
        if (!predicate(event)) return;
        clearTimeout(timer);
        stop();
        resolve(event);
      });
    });
  }
}
