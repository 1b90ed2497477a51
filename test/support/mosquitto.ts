/**
 * A private mosquitto (Debian's package) for tests that need a second real broker or must kill
 * and restart one: its own config on a free loopback port, never the system's 1883.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "../../host-sim/net";

export { freePort };

export class Mosquitto {
  #process: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), "payterm-mosquitto-"));

  private constructor(readonly port: number, readonly extraConfig: string) {}

  /** `port`: a port chosen beforehand (freePort), for configurations that must name it first. */
  static async start(extraConfig = "allow_anonymous true\n", port?: number): Promise<Mosquitto> {
    const broker = new Mosquitto(port ?? (await freePort()), extraConfig);
    await broker.restart();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the broker on the same port, keeping in-memory nothing: persistence is off. */
  async restart(): Promise<void> {
    await this.kill();
    const config = join(this.dir, "mosquitto.conf");
    writeFileSync(config, `listener ${this.port} 127.0.0.1\npersistence false\n${this.extraConfig}`);
    this.#process = spawn("mosquitto", ["-c", config], { stdio: "ignore" });
    await waitForPort(this.port, 5000, "mosquitto");
  }

  /**
   * Stops the broker where it stands (SIGSTOP): it reads, answers and forwards nothing more, and
   * what is written to it meanwhile dies with it at `kill`. Synchronous, so a test can stop it
   * between two things the firmware does.
   */
  freeze(): void {
    this.#process?.kill("SIGSTOP");
  }

  async kill(): Promise<void> {
    const process = this.#process;
    if (!process || process.exitCode !== null) return;
    this.#process = undefined;
    await new Promise<void>((resolve) => {
      process.once("exit", () => resolve());
      process.kill("SIGKILL");
    });
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
