/** The host HAL a soundbox test boots the firmware on: real MQTT, clock and crypto, quiet peripherals. */
import type { Hal } from "../../hal/index";
import type { KeyValueStore } from "../../hal/kv";
import { MemoryNetwork, MemoryPower } from "../../hal/memory/peripherals";
import type { EventLog } from "../../host-sim/device/event-log";
import { MqttJsTransport } from "../../host-sim/hal/mqttjs-transport";
import { nodeClock, type NodeTimers } from "../../host-sim/hal/node-clock";
import { nodeCrypto } from "../../host-sim/hal/node-crypto";
import { SimButtons } from "../../host-sim/hal/panel";
import type { RecordingAudio } from "../../host-sim/hal/recording-audio";

export function soundboxHal(deviceId: string, kv: KeyValueStore, timers: NodeTimers, log: EventLog, audio?: RecordingAudio): Hal {
  const hal: Hal = {
    clock: nodeClock,
    timers,
    kv,
    mqtt: new MqttJsTransport(),
    crypto: nodeCrypto,
    buttons: new SimButtons(["power"]),
    power: new MemoryPower(),
    network: new MemoryNetwork(),
    system: { deviceId, product: "soundbox", firmwareVersion: "0.1.0-test", freeHeap: () => 0, restart: () => {} },
    log,
  };
  if (audio) hal.audio = audio;
  return hal;
}
