/**
 * Drives a key-value store over NvsFlash (flash-preference.ts) through a power cut after every
 * flash operation a sequence of changes makes, and judges what survives: each key must hold what
 * the changes completed before the cut left it, except the key of the change in progress, which
 * may hold the old value or the new one. Then the rest of the sequence runs on the rebooted
 * store, and after another reboot every key must hold exactly what the sequence left: a stale
 * intent that brought back a deleted key or an older value shows there.
 */
import type { KeyValueStore, KvValue } from "../../../hal/kv";
import { KV_RESERVED_KEY } from "../../../hal/kv";
import { NvsFlash, PowerCut } from "./flash-preference";

export type Change = { domain: string; key: string; value: KvValue | undefined };

/** What a scenario starts from, and the changes whose every cut point is tried. */
export interface Scenario {
  name: string;
  before: Change[];
  changes: Change[];
}

type Model = Map<string, KvValue | undefined>;

const at = (domain: string, key: string) => `${domain}/${key}`;

function same(a: KvValue | undefined, b: KvValue | undefined): boolean {
  if (a instanceof ArrayBuffer && b instanceof ArrayBuffer) {
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a);
    const y = new Uint8Array(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  return a === b;
}

function show(value: KvValue | undefined): string {
  if (value === undefined) return "nothing";
  return value instanceof ArrayBuffer ? `blob(${value.byteLength})` : JSON.stringify(value);
}

function apply(store: KeyValueStore, change: Change): void {
  if (change.value === undefined) store.delete(change.domain, change.key);
  else store.set(change.domain, change.key, change.value);
}

function record(model: Model, change: Change): void {
  model.set(at(change.domain, change.key), change.value);
}

/** Every key the scenario touches, compared with the model; `either` may also hold its old value. */
function judge(store: KeyValueStore, model: Model, either?: { change: Change; old: KvValue | undefined }): string[] {
  const problems: string[] = [];
  const domains = new Set<string>();
  for (const [where, expected] of model) {
    const [domain, key] = where.split("/");
    domains.add(domain);
    const held = store.get(domain, key);
    const allowed = either && at(either.change.domain, either.change.key) === where ? [expected, either.old] : [expected];
    if (!allowed.some((value) => same(held, value))) problems.push(`${where} holds ${show(held)}, expected ${allowed.map(show).join(" or ")}`);
  }
  for (const domain of domains) {
    const listed = store.keys(domain).sort();
    const present: string[] = [];
    for (const key of listed) if (store.get(domain, key) === undefined) problems.push(`${domain}: keys() lists ${key}, which reads as missing`);
    for (const [where] of model) {
      const [d, key] = where.split("/");
      if (d === domain && store.get(d, key) !== undefined) present.push(key);
    }
    if (listed.join() !== present.sort().join()) problems.push(`${domain}: keys() ${listed.join(",")} but present ${present.join(",")}`);
    if (listed.indexOf(KV_RESERVED_KEY) >= 0) problems.push(`${domain}: keys() shows the reserved key`);
  }
  return problems;
}

export interface CutReport {
  /** Cut points tried: one per flash operation of the uncut run. */
  cuts: number;
  problems: string[];
}

/** Tries every cut point of `scenario` on stores `open` makes; returns what went wrong at each. */
export function tryEveryCut(open: (flash: NvsFlash) => KeyValueStore, scenario: Scenario): CutReport {
  const prepare = (): { flash: NvsFlash; model: Model } => {
    const flash = new NvsFlash();
    const model: Model = new Map();
    const store = open(flash);
    for (const change of scenario.before) {
      apply(store, change);
      record(model, change);
    }
    return { flash, model };
  };

  const uncut = prepare();
  const start = uncut.flash.operations;
  const store = open(uncut.flash);
  for (const change of scenario.changes) apply(store, change);
  const cuts = uncut.flash.operations - start;

  const problems: string[] = [];
  for (let cut = 1; cut <= cuts; cut++) {
    const { flash, model } = prepare();
    flash.cutAfter(cut);
    const before = open(flash);
    let done = 0;
    let inProgress: Change | undefined;
    // A change may still return after the cut (a store that takes it as made once its intent is
    // on flash): then it counts as done, and the next one never began.
    for (; done < scenario.changes.length && flash.powered; done++) {
      try {
        apply(before, scenario.changes[done]);
      } catch (error) {
        if (!(error instanceof PowerCut) && flash.powered) throw error;
        inProgress = scenario.changes[done];
        break;
      }
    }
    const where = `${scenario.name}, cut after flash operation ${cut} of ${cuts} (${inProgress ? `in change ${done + 1}` : `after change ${done}`})`;
    if (flash.powered) {
      problems.push(`${where}: the power cut did not stop the changes`);
      continue;
    }
    for (let i = 0; i < done; i++) record(model, scenario.changes[i]);
    const old = inProgress && model.get(at(inProgress.domain, inProgress.key));
    if (inProgress) record(model, inProgress);

    flash.powerOn();
    const rebooted = open(flash);
    const afterCut = judge(rebooted, model, inProgress && { change: inProgress, old });
    problems.push(...afterCut.map((problem) => `${where}, after reboot: ${problem}`));
    if (afterCut.length > 0) continue;
    // The change in progress counts as what the store says it is now; the rest of the sequence
    // runs on the rebooted store.
    if (inProgress) model.set(at(inProgress.domain, inProgress.key), rebooted.get(inProgress.domain, inProgress.key));
    for (const change of scenario.changes.slice(inProgress ? done + 1 : done)) {
      apply(rebooted, change);
      record(model, change);
    }
    const again = open(flash);
    problems.push(...judge(again, model).map((problem) => `${where}, after the rest and another reboot: ${problem}`));
  }
  return { cuts, problems };
}

/** The stores' contract asks for old-or-new under each of these. */
export function scenarios(): Scenario[] {
  const blob = (n: number, fill: number) => new Uint8Array(n).fill(fill).buffer;
  const d = "journal";
  return [
    { name: "set a new key", before: [], changes: [{ domain: d, key: "e1", value: blob(40, 1) }] },
    { name: "replace a value", before: [{ domain: d, key: "e1", value: blob(40, 1) }], changes: [{ domain: d, key: "e1", value: blob(40, 2) }] },
    { name: "delete a key", before: [{ domain: d, key: "e1", value: blob(40, 1) }], changes: [{ domain: d, key: "e1", value: undefined }] },
    {
      name: "replace, then delete",
      before: [{ domain: d, key: "e1", value: blob(40, 1) }],
      changes: [
        { domain: d, key: "e1", value: blob(40, 2) },
        { domain: d, key: "e1", value: undefined },
      ],
    },
    {
      name: "set, set, delete, set",
      before: [{ domain: d, key: "e1", value: blob(40, 1) }, { domain: "other", key: "x", value: "keep" }],
      changes: [
        { domain: d, key: "e1", value: blob(40, 2) },
        { domain: d, key: "e2", value: blob(3, 3) },
        { domain: d, key: "e1", value: undefined },
        { domain: d, key: "e3", value: 7 },
      ],
    },
    {
      name: "every type, and a key that changes type",
      before: [{ domain: "config", key: "k", value: "text" }],
      changes: [
        { domain: "config", key: "k", value: -5 },
        { domain: "config", key: "k", value: true },
        { domain: "config", key: "k", value: "caf\u00e9 \ud83d\ude00" },
        { domain: "config", key: "k", value: blob(3968, 9) },
      ],
    },
    {
      name: "two domains in turn",
      before: [],
      changes: [
        { domain: "a", key: "k", value: 1 },
        { domain: "b", key: "k", value: 2 },
        { domain: "a", key: "k", value: undefined },
        { domain: "b", key: "k", value: 3 },
      ],
    },
  ];
}

/** Moddable's preference module used as it is, as hal/moddable/kv.ts did before intents. */
export function bareStore(flash: NvsFlash): KeyValueStore {
  return {
    get: (domain, key) => flash.get(domain, key),
    set: (domain, key, value) => flash.set(domain, key, value),
    delete: (domain, key) => flash.delete(domain, key),
    keys: (domain) => flash.keys(domain),
  };
}
