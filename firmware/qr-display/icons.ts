/**
 * The screens' icons, drawn for this project on finer grids than the font so that they stay
 * smooth when scaled up: the success tick and the cross of an expired or cancelled charge.
 */
import { maskStride } from "../../hal/display";
import type { Mask } from "./text";

export type IconName = "tick" | "cross";

const SOURCE: Record<IconName, string[]> = {
  tick: [
    "............",
    "..........##",
    ".........###",
    "........###.",
    "##.....###..",
    "###...###...",
    ".###.###....",
    "..#####.....",
    "...###......",
    "....#.......",
  ],
  cross: [
    "##......##",
    "###....###",
    ".###..###.",
    "..######..",
    "...####...",
    "...####...",
    "..######..",
    ".###..###.",
    "###....###",
    "##......##",
  ],
};

export function iconWidth(name: IconName, scale: number): number {
  return SOURCE[name][0].length * scale;
}

export function iconHeight(name: IconName, scale: number): number {
  return SOURCE[name].length * scale;
}

export function renderIcon(name: IconName, scale: number): Mask {
  const rows = SOURCE[name];
  const width = iconWidth(name, scale);
  const height = iconHeight(name, scale);
  const stride = maskStride(width);
  const bits = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const row = rows[Math.floor(y / scale)];
    for (let x = 0; x < width; x++) if (row[Math.floor(x / scale)] === "#") bits[y * stride + (x >> 3)] |= 0x80 >> (x & 7);
  }
  return { width, height, bits };
}
