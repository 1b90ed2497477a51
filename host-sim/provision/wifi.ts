/**
 * Wi-Fi in a provisioning batch: the batch's network (--wifi-ssid with its passphrase, or
 * --wifi-open), a merchant row's own cells over it, and the network each device's image names.
 * The rules are the firmware's (firmware/wifi-settings.ts). No message here ever quotes a
 * passphrase: they reach terminals and CI logs.
 */
import type { WifiSettings } from "../../hal/network";
import { isWpa2Passphrase, ssidProblem } from "../../firmware/wifi-settings";

/**
 * What a merchants CSV row says about Wi-Fi (wifi_ssid, wifi_psk, wifi_open); a field left out
 * takes the batch's value. psk "" is an open network, said explicitly (wifi_open yes).
 */
export interface WifiOverride {
  ssid?: string;
  psk?: string;
}

/** Why `ssid` cannot be provisioned, or undefined. */
export function wifiSsidProblem(ssid: string): string | undefined {
  // Input read as UTF-8 turns malformed bytes into U+FFFD: the network's real name is unknown.
  if (ssid.includes("\uFFFD")) return "is not valid UTF-8";
  return ssidProblem(ssid);
}

/** Why `psk` is not a WPA2 passphrase, or undefined; it says how long the passphrase is, never what it is. */
export function wifiPskProblem(psk: string): string | undefined {
  if (isWpa2Passphrase(psk)) return undefined;
  const printable = /^[\x20-\x7e]*$/.test(psk);
  return `must be 8 to 63 printable ASCII characters, or 64 hex digits (the one given has ${psk.length} characters${printable ? "" : ", not all of them printable ASCII"})`;
}

/** Why a whole network (a batch's, or one a row completes) cannot be provisioned; psk "" is open. */
export function wifiSettingsProblem(wifi: WifiSettings): string | undefined {
  const ssid = wifiSsidProblem(wifi.ssid);
  if (ssid) return `the SSID ${ssid}`;
  if (wifi.psk === "") return undefined;
  const psk = wifiPskProblem(wifi.psk);
  return psk && `the passphrase ${psk}`;
}

/**
 * The network a device's image names: the row's fields over the batch's. Undefined when neither
 * names one; an error when a name is left without a passphrase, or a passphrase without a name.
 */
export function deviceWifi(batch: WifiSettings | undefined, own: WifiOverride | undefined): WifiSettings | undefined {
  const ssid = own?.ssid ?? batch?.ssid;
  const psk = own?.psk ?? batch?.psk;
  if (ssid === undefined) {
    if (psk !== undefined) throw new Error("a Wi-Fi passphrase (or wifi_open) without a network: give wifi_ssid, or --wifi-ssid for the batch");
    return undefined;
  }
  if (psk === undefined) throw new Error(`no passphrase for the Wi-Fi network ${JSON.stringify(ssid)}: give wifi_psk, wifi_open yes, or the batch's --wifi-psk-file`);
  return { ssid, psk };
}

export function sameWifi(a: WifiSettings | undefined, b: WifiSettings | undefined): boolean {
  return a?.ssid === b?.ssid && a?.psk === b?.psk;
}
