import { buildVoicePacks } from "../../scripts/build-voice";
import { SimulatorControl } from "../control/control";
import { Simulator } from "../simulator";
import { startWebServer } from "../web-server";
import { LANGUAGES, languageFor } from "../../firmware/voice/languages";
import { integerArg, parseFlags, UsageError } from "./args";
import type { Command } from "./command";
import { DEFAULT_STATE_DIR } from "./state-dir";

export const startCommand: Command = {
  name: "start",
  usage: ["payterm start [--broker URL] [--broker-port N] [--web-port N] [--state DIR] [--lang CODE]"],
  async run(args) {
    const o = parseFlags(args, {
      broker: { type: "string" },
      "broker-port": { type: "string" },
      "web-port": { type: "string" },
      state: { type: "string" },
      lang: { type: "string" },
    });
    if (o.lang !== undefined && !languageFor(o.lang))
      throw new UsageError(`--lang must be one of ${LANGUAGES.map((l) => l.code).join(", ")}; got ${JSON.stringify(o.lang)}`);
    // Every argument is checked before anything starts.
    const brokerPort = integerArg(o["broker-port"], "--broker-port", 0, 65535);
    const webPort = integerArg(o["web-port"], "--web-port", 0, 65535);
    try {
      await buildVoicePacks({ log: (line) => console.log(line) });
    } catch (error) {
      console.warn(`voice packs not built (${(error as Error).message}); announcements are logged as clip lists only`);
    }
    const simulator = await Simulator.start({
      stateDir: o.state ?? DEFAULT_STATE_DIR,
      brokerUrl: o.broker,
      brokerPort,
      language: o.lang,
    });
    for (const device of simulator.devices.values())
      device.log.listen((e) => {
        if (e.level !== "debug") console.log(`${new Date(e.at).toISOString()} ${e.device} ${e.name} ${JSON.stringify(e.fields)}`);
      });
    const control = new SimulatorControl(simulator);
    // 8080 when free; an explicit --web-port must be had or fail.
    const web = webPort !== undefined ? await startWebServer(control, webPort) : await startWebServer(control, 8080).catch(() => startWebServer(control, 0));
    console.log(`broker   ${simulator.brokerUrl}${simulator.broker ? " (embedded)" : ""}`);
    console.log(`web UI   ${web.url}`);
    console.log(`devices  ${[...simulator.devices.keys()].join(", ")}`);
    console.log(`try      npm run payterm -- pay --device soundbox-1 --amount 250.00 --currency INR --provider UPI`);
    const shutdown = async () => {
      await web.close();
      control.close();
      await simulator.stop();
      process.exit(0);
    };
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
    return -1;
  },
};
