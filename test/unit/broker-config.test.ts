/**
 * The broker endpoint and TLS material from the device config (firmware/broker.ts), and what the
 * firmware does with a config mistake: log it, keep running, never fall back to plain MQTT.
 */
import { describe, expect, it } from "@jest/globals";
import { brokerEndpoint, brokerTls, ConfigError, TLS_DOMAIN } from "../../firmware/broker";
import { loadConfig, type DeviceDefaults } from "../../firmware/config";
import { startDevice } from "../../firmware/device";
import type { MqttConnectOptions } from "../../hal/index";
import { createMemoryHal, MemoryKv } from "../../hal/memory/index";

const BASE: DeviceDefaults = { brokerHost: "fallback.example", brokerPort: 1883, brokerTls: false, language: "en-in", keepalive: 30 };
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

const endpoint = (brokerUrl: string) => brokerEndpoint(loadConfig(new MemoryKv(), { ...BASE, brokerUrl }));

describe("broker endpoint from the config", () => {
  it.each([
    ["mqtt://broker.example", { host: "broker.example", port: 1883, tls: false }],
    ["mqtts://broker.example", { host: "broker.example", port: 8883, tls: true }],
    ["mqtts://10.0.0.2:18883/", { host: "10.0.0.2", port: 18883, tls: true }],
    ["mqtt://[::1]:1884", { host: "::1", port: 1884, tls: false }],
  ])("reads %s", (url, expected) => {
    expect(endpoint(url)).toEqual(expected);
  });

  it.each(["http://broker.example", "mqtt://", "mqtt://host:0", "mqtt://host:99999", "mqtts://user@host", "mqtt://host/path"])("refuses %s with a ConfigError", (url) => {
    expect(() => endpoint(url)).toThrow(ConfigError);
  });

  it("uses the separate fields without a URL, and a URL written by provisioning over the defaults", () => {
    expect(brokerEndpoint(loadConfig(new MemoryKv(), BASE))).toEqual({ host: "fallback.example", port: 1883, tls: false });
    const kv = new MemoryKv();
    kv.set("config", "url", "mqtts://fleet.example:8884");
    expect(brokerEndpoint(loadConfig(kv, BASE))).toEqual({ host: "fleet.example", port: 8884, tls: true });
  });
});

describe("TLS material from the config", () => {
  const tlsConfig = (kv: MemoryKv, extra: Partial<DeviceDefaults>) => {
    const config = loadConfig(kv, { ...BASE, brokerUrl: "mqtts://broker.example", ...extra });
    return brokerTls(config, brokerEndpoint(config), kv);
  };

  it("resolves nvs: references to what provisioning stored, and takes PEM text as it is", () => {
    const kv = new MemoryKv();
    kv.set(TLS_DOMAIN, "ca", new Uint8Array([0x30, 0x82, 1, 2]).buffer);
    kv.set(TLS_DOMAIN, "cert", PEM);
    kv.set(TLS_DOMAIN, "key", new Uint8Array([0x30, 0x81, 9]).buffer);
    expect(tlsConfig(kv, { tlsCa: "nvs:ca", tlsCert: "nvs:cert", tlsKey: "nvs:key", tlsServerName: "mqtt.internal" })).toEqual({
      ca: new Uint8Array([0x30, 0x82, 1, 2]),
      cert: PEM,
      key: new Uint8Array([0x30, 0x81, 9]),
      serverName: "mqtt.internal",
    });
    expect(tlsConfig(kv, { tlsCa: PEM })).toEqual({ ca: PEM });
  });

  it("gives no TLS options for plain MQTT, and empty ones (the platform's trust store) for mqtts without material", () => {
    const kv = new MemoryKv();
    expect(brokerTls(loadConfig(kv, BASE), brokerEndpoint(loadConfig(kv, BASE)), kv)).toBeUndefined();
    expect(tlsConfig(kv, {})).toEqual({});
  });

  it.each([
    ["a reference to nothing", { tlsCa: "nvs:missing" }, /TLS CA: nothing stored under tls\/missing/],
    ["a reference of an unknown kind", { tlsCa: "file:/etc/ca.pem" }, /neither nvs:<name> nor PEM text/],
    ["a reference with an invalid NVS name", { tlsCa: "nvs:a-name-longer-than-15" }, /TLS CA: "a-name-longer-than-15" is not an NVS key name/],
    ["a certificate without its key", { tlsCert: PEM }, /a client certificate needs its key/],
  ])("refuses %s with a ConfigError", (_what, extra, message) => {
    expect(() => tlsConfig(new MemoryKv(), extra)).toThrow(message);
  });
});

describe("a device with a config mistake", () => {
  const connectWith = (defaults: DeviceDefaults): { options: MqttConnectOptions; events: string[] } => {
    const hal = createMemoryHal({ deviceId: "sb-conf", product: "soundbox", clips: [] });
    const seen: MqttConnectOptions[] = [];
    const connect = hal.mqtt.connect.bind(hal.mqtt);
    hal.mqtt.connect = (options, handlers) => {
      seen.push(options);
      connect(options, handlers);
    };
    startDevice(hal, defaults);
    return { options: seen[0], events: hal.log.events.map((r) => `${r.name} ${String(r.fields.detail ?? "")}`.trim()) };
  };

  it("logs a bad broker URL and connects to the separate host and port instead", () => {
    const { options, events } = connectWith({ ...BASE, brokerUrl: "mqtt:/oops" });
    expect(events).toContainEqual(expect.stringMatching(/^config-error broker URL "mqtt:\/oops"/));
    expect(options).toMatchObject({ host: "fallback.example", port: 1883 });
    expect(options.tls).toBeUndefined();
  });

  it("logs missing TLS material and still connects with TLS, never in the clear", () => {
    const { options, events } = connectWith({ ...BASE, brokerUrl: "mqtts://broker.example", tlsCa: "nvs:ca" });
    expect(events).toContainEqual("config-error TLS CA: nothing stored under tls/ca");
    expect(options).toMatchObject({ host: "broker.example", port: 8883, tls: {} });
  });

  it("passes the resolved material to the transport", () => {
    const { options } = connectWith({ ...BASE, brokerUrl: "mqtts://broker.example:8884", tlsCa: PEM, tlsServerName: "b.internal" });
    expect(options).toMatchObject({ host: "broker.example", port: 8884, tls: { ca: PEM, serverName: "b.internal" } });
  });
});
