export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Structured events: the pipeline reports each step here (received, verified, announced...). */
export interface Log {
  event(level: LogLevel, name: string, fields?: LogFields): void;
}
