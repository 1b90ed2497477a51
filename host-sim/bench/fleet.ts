/**
 * npm run bench:fleet [-- flags of payterm fleet]
 *
 * The fleet benchmark of issue 6: 10,000 virtual soundboxes against a private mosquitto the run
 * starts on a free loopback port, beside 10,000 bare mqtt.js subscribers (the floor). Each side
 * warms up for 10 s, takes 2,000 confirmations a second for 60 s (the measured step), then ramps
 * from 250/s, ×1.5 a step, 10 s steps, to the highest rate held with nothing lost.
 * npm runs it under `node --max-semi-space-size=2`: small young generations in every thread,
 * the main thread's (the payment service, the floor) included, which worker resource limits
 * cannot give it (docs/fleet.md, Figures).
 * Any flag given after `--` overrides these (`npm run bench:fleet -- --devices 2000 --no-floor`).
 * Prints progress, a table, one JSON line, and the path of the HTML chart.
 */
import { fleetCommand } from "../cli/fleet";

const DEFAULTS = ["--mosquitto", "--devices", "10000", "--rate", "2000", "--duration", "60", "--ramp", "--ramp-start", "250", "--ramp-factor", "1.5", "--ramp-step", "10", "--concurrency", "500"];

const args = process.argv.slice(2);
// A broker URL replaces the private mosquitto.
const defaults = args.includes("--broker") ? DEFAULTS.filter((flag) => flag !== "--mosquitto") : DEFAULTS;
fleetCommand
  .run([...defaults, ...args])
  .then((code) => (process.exitCode = code))
  .catch((error: Error) => {
    console.error(`bench:fleet: ${error.message}`);
    process.exitCode = 1;
  });
