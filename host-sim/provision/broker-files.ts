/**
 * The broker side of a batch, under broker/: the ACL, the password file or the TLS material, the
 * dynamic-security configuration, the mosquitto settings that use them, the service account and
 * the release publisher's account (release.json, with its password alone in release.password or
 * its certificate and key in release.crt and release.key, for `payterm release publish`).
 */
import type { OutputDir } from "./files";
import type { BrokerCredentials, DeviceRecord, Ledger } from "./model";
import { dynamicSecurityConfig, mosquittoAcl, mosquittoConfig, mosquittoDynsecConfig, mosquittoPasswords } from "./mosquitto";

/** Where a TLS batch's CA certificate is kept beside its key (ca/ca.key, when the run made it). */
export const CA_CERT_FILE = "ca/ca.crt";

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function writeBrokerFiles(out: OutputDir, ledger: Ledger, devices: readonly DeviceRecord[]): void {
  const { service, settings } = ledger;
  const release = ledger.release as BrokerCredentials;
  const subjects = devices.map((d) => ({ username: d.mqtt.username, deviceId: d.deviceId, product: d.product, passwordHash: d.mqtt.passwordHash }));
  const acl = out.path("broker/acl");
  const dynsec = out.path("broker/dynamic-security.json");
  out.write("broker/acl", mosquittoAcl({ service: service.username, release: release.username }, subjects));
  out.write("broker/dynamic-security.json", dynamicSecurityConfig({ service, release }, subjects));

  if (settings.auth === "password") {
    const hashes = [service, release, ...devices.map((d) => d.mqtt)].map((c) => ({ username: c.username, passwordHash: c.passwordHash as string }));
    out.write("broker/passwd", mosquittoPasswords(hashes));
    out.write("broker/service.json", json({ url: settings.brokerUrl, username: service.username, password: service.password }));
    out.write("broker/release.password", `${release.password as string}\n`);
    out.write("broker/release.json", json({ url: settings.brokerUrl, username: release.username, passwordFile: "release.password" }));
    out.write("broker/mosquitto.conf", mosquittoConfig("password", { acl, passwords: out.path("broker/passwd") }));
    out.write("broker/mosquitto-dynsec.conf", mosquittoDynsecConfig("password", { acl, dynsec }));
    return;
  }
  const ca = ledger.ca?.certificate as string;
  out.write(CA_CERT_FILE, ca);
  out.write("broker/ca.crt", ca);
  out.write("broker/service.crt", service.certificate as string);
  out.write("broker/service.key", service.privateKey as string);
  out.write("broker/service.json", json({ url: settings.brokerUrl, username: service.username, certificate: "service.crt", key: "service.key", ca: "ca.crt" }));
  out.write("broker/release.crt", release.certificate as string);
  out.write("broker/release.key", release.privateKey as string);
  out.write("broker/release.json", json({ url: settings.brokerUrl, username: release.username, certificate: "release.crt", key: "release.key", ca: "ca.crt" }));
  if (ledger.server) {
    out.write("broker/server.crt", ledger.server.chain);
    out.write("broker/server.key", ledger.server.privateKey);
  }
  const paths = {
    acl,
    dynsec,
    ca: out.path("broker/ca.crt"),
    ...(ledger.server ? { serverCertificate: out.path("broker/server.crt"), serverKey: out.path("broker/server.key") } : {}),
  };
  out.write("broker/mosquitto.conf", mosquittoConfig("tls", paths));
  out.write("broker/mosquitto-dynsec.conf", mosquittoDynsecConfig("tls", paths));
}
