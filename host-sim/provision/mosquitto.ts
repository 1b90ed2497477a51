/**
 * Broker access for mosquitto 2: the password file, the ACL and a configuration snippet.
 *
 * Password file lines are `user:$7$<iterations>$<salt, base64>$<hash, base64>`: PBKDF2-HMAC-SHA512
 * with a 12-byte salt and a 64-byte hash, the format mosquitto_passwd writes by default since 2.0
 * (101 iterations, its default; the passwords are 192-bit random, so iterations add nothing
 * against guessing and would only cost the broker on every reconnect of a large fleet).
 *
 * The ACL gives each device read access to the topics the service and point of sale send it and
 * write access to the ones it sends, under its own id only; the payment service gets pt/v1/#; the
 * release publisher gets what `payterm release publish` needs on every device (the update command
 * and its result, chunk requests and answers, update progress) and nothing else: no payments, acks
 * or status.
 * With acl_file, mosquitto 2.0 accepts every SUBSCRIBE and applies `read` when it delivers
 * (src/security_default.c: "FIXME - implement ACL subscription strings"), so a device that
 * subscribes to another's topics gets a granted SUBACK and never a message. The same rules as a
 * dynamic-security plugin configuration also refuse the subscription itself (SUBACK 0x80) and pin
 * each username to its client id.
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import type { Product } from "../../hal/system";
import { deviceTopics, PROTOCOL_PREFIX, type DeviceTopics } from "../../firmware/protocol/topics";
import type { AuthMode } from "./model";

const ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

export function hashPassword(password: string, salt: Buffer = randomBytes(SALT_BYTES), iterations = ITERATIONS): string {
  const hash = pbkdf2Sync(password, salt, iterations, HASH_BYTES, "sha512");
  return `$7$${iterations}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

/** Whether `password` matches a `$7$` hash, computed as mosquitto does. */
export function verifyPassword(password: string, encoded: string): boolean {
  const match = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(encoded);
  if (!match) return false;
  const expected = Buffer.from(match[3], "base64");
  const actual = pbkdf2Sync(password, Buffer.from(match[2], "base64"), Number(match[1]), expected.length, "sha512");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

type Access = "read" | "write";

/**
 * Who may do what on each topic of a device. A Record over every DeviceTopics key, so a topic
 * added to the protocol does not type-check until someone decides who may use it.
 */
const DEVICE_ACCESS: Record<keyof DeviceTopics, { access: Access; products: readonly Product[] }> = {
  payments: { access: "read", products: ["soundbox", "qr-display"] },
  commands: { access: "read", products: ["soundbox", "qr-display"] },
  commandResults: { access: "write", products: ["soundbox", "qr-display"] },
  charges: { access: "read", products: ["qr-display"] },
  chargeAcks: { access: "write", products: ["qr-display"] },
  acks: { access: "write", products: ["soundbox", "qr-display"] },
  status: { access: "write", products: ["soundbox", "qr-display"] },
  telemetry: { access: "write", products: ["soundbox", "qr-display"] },
  updateGet: { access: "write", products: ["soundbox", "qr-display"] },
  updateData: { access: "read", products: ["soundbox", "qr-display"] },
  updateState: { access: "write", products: ["soundbox", "qr-display"] },
  selftest: { access: "write", products: ["soundbox", "qr-display"] },
  tap: { access: "write", products: ["qr-display"] },
};

/**
 * What the release publisher does on every device's topics, from its side: it sends the update
 * command and the chunks, and reads command results, chunk requests and progress.
 */
const RELEASE_ACCESS: Partial<Record<keyof DeviceTopics, Access>> = {
  commands: "write",
  commandResults: "read",
  updateGet: "read",
  updateData: "write",
  updateState: "read",
};

/** The topic filters (every device: `pt/v1/+/...`) the release publisher may read and write. */
export function releaseAccess(): { read: string[]; write: string[] } {
  const sample = "device";
  const topics = deviceTopics(sample);
  const out = { read: [] as string[], write: [] as string[] };
  for (const key of Object.keys(RELEASE_ACCESS) as (keyof DeviceTopics)[]) {
    const access = RELEASE_ACCESS[key] as Access;
    out[access].push(topics[key].replace(`${PROTOCOL_PREFIX}/${sample}/`, `${PROTOCOL_PREFIX}/+/`));
  }
  return out;
}

/** The operator's own accounts, which reach every device. */
export interface OperatorAccounts {
  service: string;
  release: string;
}

export interface AclSubject {
  username: string;
  deviceId: string;
  product: Product;
}

/** The topics a device may read and write, for the ACL and for tests. */
export function deviceAccess(deviceId: string, product: Product): { read: string[]; write: string[] } {
  const topics = deviceTopics(deviceId);
  const out = { read: [] as string[], write: [] as string[] };
  for (const key of Object.keys(DEVICE_ACCESS) as (keyof DeviceTopics)[]) {
    const rule = DEVICE_ACCESS[key];
    if (rule.products.includes(product)) out[rule.access].push(topics[key]);
  }
  return out;
}

export function mosquittoAcl(accounts: OperatorAccounts, devices: readonly AclSubject[]): string {
  const release = releaseAccess();
  const lines = [
    "# mosquitto ACL written by `payterm provision`; rerun it rather than editing this file.",
    "# Each device reads and writes only its own topics; the payment service reaches every device;",
    "# the release publisher only the update command and the update topics of every device.",
    "",
    `user ${accounts.service}`,
    `topic readwrite ${PROTOCOL_PREFIX}/#`,
    "",
    `user ${accounts.release}`,
    ...release.read.map((topic) => `topic read ${topic}`),
    ...release.write.map((topic) => `topic write ${topic}`),
  ];
  for (const device of devices) {
    const { read, write } = deviceAccess(device.deviceId, device.product);
    lines.push("", `# ${device.product} ${device.deviceId}`, `user ${device.username}`);
    for (const topic of read) lines.push(`topic read ${topic}`);
    for (const topic of write) lines.push(`topic write ${topic}`);
  }
  return `${lines.join("\n")}\n`;
}

export function mosquittoPasswords(entries: readonly { username: string; passwordHash: string }[]): string {
  return entries.map((e) => `${e.username}:${e.passwordHash}\n`).join("");
}

interface DynsecAcl {
  acltype: "publishClientSend" | "publishClientReceive" | "subscribeLiteral" | "subscribePattern";
  topic: string;
  allow: true;
}

interface DynsecClient {
  username: string;
  clientid?: string;
  textname?: string;
  password?: string;
  salt?: string;
  iterations?: number;
  roles: { rolename: string }[];
}

/** A `$7$` hash as the plugin stores it: hash, salt and iterations apart. */
function dynsecPassword(encoded: string | undefined): Pick<DynsecClient, "password" | "salt" | "iterations"> {
  const match = encoded === undefined ? null : /^\$7\$(\d+)\$([^$]+)\$([^$]+)$/.exec(encoded);
  return match ? { password: match[3], salt: match[2], iterations: Number(match[1]) } : {};
}

export interface DynsecSubject extends AclSubject {
  passwordHash?: string;
}

/**
 * mosquitto's dynamic-security plugin configuration (plugins/dynamic-security in mosquitto 2.0):
 * every access denied by default, one role per device with literal topics, client ids pinned.
 */
export function dynamicSecurityConfig(
  accounts: { service: { username: string; passwordHash?: string }; release: { username: string; passwordHash?: string } },
  devices: readonly DynsecSubject[],
): string {
  const serviceRole = "payterm-service";
  const releaseRole = "payterm-release";
  const all = `${PROTOCOL_PREFIX}/#`;
  const release = releaseAccess();
  const roles: { rolename: string; acls: DynsecAcl[] }[] = [
    {
      rolename: serviceRole,
      acls: [
        { acltype: "publishClientSend", topic: all, allow: true },
        { acltype: "publishClientReceive", topic: all, allow: true },
        { acltype: "subscribePattern", topic: all, allow: true },
      ],
    },
    {
      rolename: releaseRole,
      acls: [
        ...release.read.flatMap((topic): DynsecAcl[] => [
          { acltype: "subscribePattern", topic, allow: true },
          { acltype: "publishClientReceive", topic, allow: true },
        ]),
        ...release.write.map((topic): DynsecAcl => ({ acltype: "publishClientSend", topic, allow: true })),
      ],
    },
  ];
  const clients: DynsecClient[] = [
    { username: accounts.service.username, textname: "payment service", ...dynsecPassword(accounts.service.passwordHash), roles: [{ rolename: serviceRole }] },
    { username: accounts.release.username, textname: "release publisher", ...dynsecPassword(accounts.release.passwordHash), roles: [{ rolename: releaseRole }] },
  ];
  for (const device of devices) {
    const { read, write } = deviceAccess(device.deviceId, device.product);
    const rolename = `device-${device.deviceId}`;
    const acls: DynsecAcl[] = [];
    for (const topic of read) acls.push({ acltype: "subscribeLiteral", topic, allow: true }, { acltype: "publishClientReceive", topic, allow: true });
    for (const topic of write) acls.push({ acltype: "publishClientSend", topic, allow: true });
    roles.push({ rolename, acls });
    clients.push({ username: device.username, clientid: device.deviceId, textname: `${device.product} ${device.deviceId}`, ...dynsecPassword(device.passwordHash), roles: [{ rolename }] });
  }
  const config = {
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
    clients,
    groups: [],
    roles,
  };
  return `${JSON.stringify(config, null, 1)}\n`;
}

/** The plugin's file name; dlopen finds it in the system's library directories (Debian: /usr/lib/<arch>/). */
export const DYNSEC_PLUGIN = "mosquitto_dynamic_security.so";

export function mosquittoDynsecConfig(auth: AuthMode, paths: ConfigPaths & { dynsec: string }): string {
  const lines = [
    "# payterm broker settings with mosquitto's dynamic-security plugin, instead of mosquitto.conf's",
    "# acl_file and password_file: subscriptions to other devices' topics are refused outright.",
    "# Written by `payterm provision`; put them after the listener line they are for.",
    "allow_anonymous false",
    `plugin ${DYNSEC_PLUGIN}`,
    `plugin_opt_config_file ${paths.dynsec}`,
  ];
  if (auth === "tls") {
    lines.push("require_certificate true", "use_identity_as_username true", `cafile ${paths.ca}`);
    if (paths.serverCertificate) lines.push(`certfile ${paths.serverCertificate}`, `keyfile ${paths.serverKey}`);
  }
  return `${lines.join("\n")}\n`;
}

export interface ConfigPaths {
  acl: string;
  passwords?: string;
  ca?: string;
  serverCertificate?: string;
  serverKey?: string;
}

/** The lines a mosquitto.conf needs for this batch; the listener and the rest are the operator's. */
export function mosquittoConfig(auth: AuthMode, paths: ConfigPaths): string {
  const lines = [
    "# payterm broker settings written by `payterm provision` (mosquitto 2.x): put them after the",
    "# listener line they are for (allow_anonymous, acl_file and password_file apply to all).",
    "allow_anonymous false",
    `acl_file ${paths.acl}`,
    // A device's client id is its username: no client can take over another's persistent session.
    "use_username_as_clientid true",
  ];
  if (auth === "password") lines.push(`password_file ${paths.passwords}`);
  else {
    lines.push(
      "# Clients authenticate with a certificate from the operator CA; its common name is the username.",
      "require_certificate true",
      "use_identity_as_username true",
      `cafile ${paths.ca}`,
    );
    if (paths.serverCertificate) lines.push(`certfile ${paths.serverCertificate}`, `keyfile ${paths.serverKey}`);
    else lines.push("# certfile and keyfile: the broker's own certificate, trusted by the devices' CA (see --broker-ca)");
  }
  return `${lines.join("\n")}\n`;
}
