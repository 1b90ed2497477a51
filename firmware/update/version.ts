/**
 * Release versions as Semantic Versioning 2.0.0 spells and orders them: MAJOR.MINOR.PATCH, an
 * optional pre-release after "-" (which sorts below the release), optional build metadata after
 * "+" (which does not count). "1.2.0-rc.1" < "1.2.0" < "1.10.0".
 */

export interface Version {
  readonly core: readonly [number, number, number];
  readonly pre: readonly (number | string)[];
}

const NUMERIC = /^(0|[1-9][0-9]*)$/;
const IDENTIFIER = /^[0-9A-Za-z-]+$/;
/** Long enough for any sane version; bounds the work done on untrusted text. */
const MAX_LENGTH = 64;

export function parseVersion(text: string): Version | undefined {
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_LENGTH) return undefined;
  const plus = text.indexOf("+");
  const withoutBuild = plus < 0 ? text : text.slice(0, plus);
  if (plus >= 0 && !text.slice(plus + 1).split(".").every((part) => IDENTIFIER.test(part))) return undefined;
  const dash = withoutBuild.indexOf("-");
  const coreText = dash < 0 ? withoutBuild : withoutBuild.slice(0, dash);
  const parts = coreText.split(".");
  if (parts.length !== 3 || !parts.every((part) => NUMERIC.test(part))) return undefined;
  const core = parts.map(Number) as [number, number, number];
  if (!core.every((n) => Number.isSafeInteger(n))) return undefined;
  const pre: (number | string)[] = [];
  if (dash >= 0) {
    for (const part of withoutBuild.slice(dash + 1).split(".")) {
      if (!IDENTIFIER.test(part)) return undefined;
      if (/^[0-9]+$/.test(part)) {
        if (!NUMERIC.test(part)) return undefined; // numeric identifiers have no leading zeros
        pre.push(Number(part));
      } else pre.push(part);
    }
  }
  return { core, pre };
}

/** Negative, zero or positive as a sorts before, with, or after b (SemVer section 11). */
export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i] < b.core[i] ? -1 : 1;
  if (a.pre.length === 0 || b.pre.length === 0) return a.pre.length === b.pre.length ? 0 : a.pre.length === 0 ? 1 : -1;
  const common = Math.min(a.pre.length, b.pre.length);
  for (let i = 0; i < common; i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x < y ? -1 : 1;
    if (typeof x === "number") return -1; // numeric identifiers sort below alphanumeric ones
    if (typeof y === "number") return 1;
    return x < y ? -1 : 1;
  }
  return a.pre.length === b.pre.length ? 0 : a.pre.length < b.pre.length ? -1 : 1;
}

/** compareVersions on text; throws RangeError for text that is not a version. */
export function compareVersionText(a: string, b: string): number {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  if (!va) throw new RangeError(`not a version: ${JSON.stringify(a)}`);
  if (!vb) throw new RangeError(`not a version: ${JSON.stringify(b)}`);
  return compareVersions(va, vb);
}
