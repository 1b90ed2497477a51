/**
 * Stands in for the `debug` package inside the fleet's device-worker bundle (worker-bundle.ts).
 * mqtt.js and mqtt-packet call their loggers several times for every packet, and each call
 * gathers its arguments even when logging is off: across ten thousand clients in one thread that
 * is a large share of what the thread allocates. Inside the bundle nobody can turn them on.
 */
interface Debugger {
  (...args: unknown[]): void;
  enabled: boolean;
  namespace: string;
  extend(namespace: string): Debugger;
  log: (...args: unknown[]) => void;
}

function noop(): void {}

function createDebug(namespace: string): Debugger {
  return Object.assign(noop.bind(null), { enabled: false, namespace, extend: (more: string) => createDebug(`${namespace}:${more}`), log: noop }) as Debugger;
}

createDebug.enable = noop;
createDebug.disable = () => "";
createDebug.enabled = () => false;

// CommonJS, as the package it replaces: mqtt-packet calls require("debug")(namespace) directly.
export = createDebug;
