import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../paths";
import { UsageError } from "./args";

/** Where `npm start` keeps the simulator's registry and broker address, and where one-shot commands look for them. */
export const DEFAULT_STATE_DIR = join(projectRoot, "build", "sim");

/** The broker of the simulator running on `stateDir`, from the broker.json it writes at start. */
export function runningBrokerUrl(stateDir: string): string {
  const info = join(stateDir, "broker.json");
  if (!existsSync(info)) throw new UsageError(`no running simulator found (${info} is missing); start one with npm start or pass --broker URL`);
  let url: unknown;
  try {
    url = (JSON.parse(readFileSync(info, "utf8")) as { url?: unknown }).url;
  } catch (error) {
    throw new Error(`${info}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof url !== "string") throw new Error(`${info}: no broker url`);
  return url;
}
