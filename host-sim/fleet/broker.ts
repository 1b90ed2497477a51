/**
 * The broker a fleet run talks to: the embedded aedes (in this process, the default), a private
 * mosquitto the tool starts on a free loopback port (its own process, the configuration of the
 * published figures), or any broker by URL. Only standard MQTT 3.1.1 is used on any of them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { freePort, waitForPort } from "../net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedBroker } from "../broker/embedded";

export type BrokerChoice = { kind: "aedes" } | { kind: "mosquitto" } | { kind: "url"; url: string };

export interface FleetBroker {
  readonly url: string;
  /** What the report calls it: "aedes (in-process)", "mosquitto 2.0.11 (private, port N)", the URL. */
  readonly description: string;
  /** The broker's own process, when it has one this tool started. */
  readonly pid: number | undefined;
  /** CPU the broker process has used, seconds, when it is ours to read. */
  cpuSeconds(): number | undefined;
  close(): Promise<void>;
}

/** utime + stime of a process from /proc, seconds (Linux). */
function processCpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * mosquitto as Debian ships it, on a free loopback port, never 1883: no persistence (a fleet run
 * is disposable), Nagle off, and queues deep enough that a slow consumer is measured, not cut.
 */
async function startMosquitto(): Promise<FleetBroker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "payterm-fleet-mosquitto-"));
  const config = join(dir, "mosquitto.conf");
  writeFileSync(config, [`listener ${port} 127.0.0.1`, "allow_anonymous true", "persistence false", "set_tcp_nodelay true", "max_queued_messages 10000", ""].join("\n"));
  const child: ChildProcess = spawn("mosquitto", ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("error", (error) => (stderr += String(error)));
  try {
    await waitForPort(port, 5000, "mosquitto");
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}${stderr ? `: ${stderr.trim()}` : ""}`);
  }
  const pid = child.pid;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    description: `mosquitto (private, started by this run on port ${port}, pid ${pid})`,
    pid,
    cpuSeconds: () => (pid === undefined ? undefined : processCpuSeconds(pid)),
    close: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startFleetBroker(choice: BrokerChoice): Promise<FleetBroker> {
  if (choice.kind === "mosquitto") return startMosquitto();
  if (choice.kind === "url") {
    return { url: choice.url, description: choice.url, pid: undefined, cpuSeconds: () => undefined, close: async () => {} };
  }
  const broker = await startEmbeddedBroker();
  return {
    url: broker.url,
    description: `aedes (embedded, in this process, port ${broker.port})`,
    pid: undefined,
    cpuSeconds: () => undefined,
    close: () => broker.close(),
  };
}
