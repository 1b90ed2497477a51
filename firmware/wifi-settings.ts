/**
 * The Wi-Fi network NVS names (config/ssid, config/psk) and what a network name and a WPA2
 * passphrase must be. The firmware's config reads these keys, a signed provisioning tag writes
 * them, and `payterm provision` puts them in each image: one set of keys and one set of rules, so
 * no path can store a network the others would refuse.
 */
import { utf8Encode } from "./protocol/bytes";

/** Keys in the config domain; psk "" (or absent) is an open network. */
export const WIFI_KEYS = Object.freeze({ ssid: "ssid", psk: "psk" });

/** 802.11 limits an SSID to 32 bytes, which is also the size of ESP-IDF's station ssid field. */
export const SSID_MAX_BYTES = 32;

/**
 * Why `ssid` cannot name a network, or undefined. Control characters are refused as well: NVS
 * keeps strings up to their first NUL, and the name is shown on screen and written to the log.
 */
export function ssidProblem(ssid: string): string | undefined {
  const bytes = utf8Encode(ssid).length;
  if (bytes < 1 || bytes > SSID_MAX_BYTES) return `must be 1 to ${SSID_MAX_BYTES} bytes of UTF-8, got ${bytes}`;
  if (/[\u0000-\u001f\u007f]/.test(ssid)) return "must not hold control characters";
  return undefined;
}

/**
 * WPA2-Personal: a passphrase of 8 to 63 printable ASCII characters, or the 256-bit PSK itself as
 * 64 hex digits (ESP-IDF takes a 64-character password as the PSK).
 */
export function isWpa2Passphrase(psk: string): boolean {
  return /^[\x20-\x7e]{8,63}$/.test(psk) || /^[0-9A-Fa-f]{64}$/.test(psk);
}
