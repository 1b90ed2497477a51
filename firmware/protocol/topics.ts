/** Topic layout, version 1. One prefix per device; see docs/protocol.md. */
export const PROTOCOL_PREFIX = "pt/v1";

export interface DeviceTopics {
  /** Payment confirmations, service -> device, QoS 1. */
  payments: string;
  /** Acknowledgements, device -> service, QoS 1. */
  acks: string;
  /** Retained "online"/"offline"; the offline message is the connection's will. */
  status: string;
  /** Periodic counters and health, device -> service, QoS 0. */
  telemetry: string;
  /** Commands, service -> device, QoS 1. */
  commands: string;
  /** One result per command, device -> service, QoS 1. */
  commandResults: string;
  /** Charge requests for a QR display, service or point of sale -> device, QoS 1. */
  charges: string;
  /** What became of each charge request (shown, rejected, paid, mismatch...), device -> service, QoS 1. */
  chargeAcks: string;
  /** Update chunk requests, device -> release server, QoS 0. */
  updateGet: string;
  /** Update chunks and block tables, release server -> device, QoS 0. */
  updateData: string;
  /** Update progress and outcome, device -> all, QoS 1, retained. */
  updateState: string;
  /** Factory self-test report, device -> all, QoS 1, retained. */
  selftest: string;
  /** NFC cards and tags tapped on a QR display, device -> service, QoS 1, authenticated. */
  tap: string;
}

/** What a device id may be: it is a topic level and an MQTT client id. */
export const DEVICE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidDeviceId(id: string): boolean {
  return DEVICE_ID.test(id);
}

export function deviceTopics(deviceId: string): DeviceTopics {
  if (!isValidDeviceId(deviceId)) throw new Error(`device id must be 1-64 of [A-Za-z0-9_-]: ${JSON.stringify(deviceId)}`);
  const base = `${PROTOCOL_PREFIX}/${deviceId}`;
  return {
    payments: `${base}/pay`,
    acks: `${base}/ack`,
    status: `${base}/status`,
    telemetry: `${base}/telemetry`,
    commands: `${base}/cmd`,
    commandResults: `${base}/cmdack`,
    charges: `${base}/charge`,
    chargeAcks: `${base}/charge/ack`,
    updateGet: `${base}/upd/get`,
    updateData: `${base}/upd/data`,
    updateState: `${base}/upd/state`,
    selftest: `${base}/selftest`,
    tap: `${base}/tap`,
  };
}
