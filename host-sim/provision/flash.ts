/**
 * Flashing each device's NVS image with esptool. The image is exactly the partition's size, so
 * writing it replaces whatever the partition held; no erase is needed first. The firmware itself
 * is flashed by the build (mcconfig), once per product, before or after.
 */
import type { DeviceRecord } from "./model";

export interface FlashTarget {
  chip: string;
  offset: number;
  size: number;
  baud: number;
  /** Where the offset came from, for the comment at the top. */
  partitionSource: string;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

export function nvsImagePath(deviceId: string): string {
  return `devices/${deviceId}/nvs.bin`;
}

/** One esptool command per device, relative to the output directory, with $PORT for the serial port. */
export function flashCommands(devices: readonly DeviceRecord[], target: FlashTarget): string {
  const lines = [
    `# NVS images, partition "nvs" at ${hex(target.offset)} (${hex(target.size)} bytes) from ${target.partitionSource}.`,
    "# Run from this directory with PORT set to the board's serial port, e.g. PORT=/dev/ttyUSB0.",
    "# Written for esptool 4; esptool 5 runs them too (it prefers the names `esptool` and `write-flash`).",
  ];
  for (const device of devices)
    lines.push(`esptool.py --chip ${target.chip} --port "$PORT" --baud ${target.baud} write_flash ${hex(target.offset)} ${nvsImagePath(device.deviceId)}  # ${device.product}${device.merchant ? ` ${device.merchant.id}` : ""}`);
  return `${lines.join("\n")}\n`;
}

/** flash.sh DEVICE_ID PORT: flashes one device's image, checking it is the one asked for. */
export function flashScript(target: FlashTarget): string {
  return `#!/bin/sh
# Flash one device's NVS partition: ./flash.sh DEVICE_ID PORT
# Written by \`payterm provision\`: partition "nvs" at ${hex(target.offset)}, ${hex(target.size)} bytes (${target.partitionSource}).
set -eu
if [ $# -ne 2 ]; then echo "usage: $0 DEVICE_ID PORT" >&2; exit 2; fi
cd "$(dirname "$0")"
image="devices/$1/nvs.bin"
if [ ! -f "$image" ]; then echo "no image for device $1 ($image)" >&2; exit 1; fi
size=$(wc -c < "$image" | tr -d ' ')
if [ "$size" -ne ${target.size} ]; then echo "$image is $size bytes, the partition is ${target.size}" >&2; exit 1; fi
ESPTOOL=\${ESPTOOL:-esptool.py}
exec "$ESPTOOL" --chip ${target.chip} --port "$2" --baud ${target.baud} write_flash ${hex(target.offset)} "$image"
`;
}
