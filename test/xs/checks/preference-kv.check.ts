/**
 * The ESP32 key-value store (hal/moddable/preference-kv.ts) over a double of Moddable's
 * preference module that erases a key before writing it (flash-preference.ts), with a power cut
 * after every flash operation of each scenario (kv-power-cuts.ts): afterwards every key holds
 * its old value or its new one, and no stale intent brings anything back. The same scenarios on
 * the preference module used bare show the cuts that lose a key, so the checks can fail.
 */
import { KV_RESERVED_KEY, KvError } from "../../../hal/kv";
import { PreferenceKv } from "../../../hal/moddable/preference-kv";
import { check, done, equal, info, throws } from "./assert";
import { NvsFlash } from "./flash-preference";
import { bareStore, scenarios, tryEveryCut } from "./kv-power-cuts";

const open = (flash: NvsFlash) => new PreferenceKv(flash);

for (const scenario of scenarios()) {
  check(`${scenario.name}: old or new value at every cut point`, () => {
    const report = tryEveryCut(open, scenario);
    info(`${scenario.name}: ${report.cuts} cut points`);
    equal(report.problems, [], "problems");
    equal(report.cuts > 0, true, "cut points tried");
  });
}

check("the bare preference module loses a replaced key at some cut point (what the intent prevents)", () => {
  const failing = scenarios().filter((scenario) => tryEveryCut(bareStore, scenario).problems.length > 0).map((scenario) => scenario.name);
  // Setting a new key or deleting one is a single flash operation even bare; replacing is two.
  equal(failing, ["replace a value", "replace, then delete", "set, set, delete, set", "every type, and a key that changes type", "two domains in turn"], "scenarios that lose a key bare");
  info(tryEveryCut(bareStore, scenarios()[1]).problems[0]);
});

check("reads and keys never show the intent record; the reserved key is refused", () => {
  const flash = new NvsFlash();
  const kv = open(flash);
  kv.set("d", "k", 1);
  equal([kv.keys("d"), flash.keys("d")], [["k"], ["k"]], "keys, and the flash once the intent is erased");
  throws(() => kv.set("d", KV_RESERVED_KEY, 1), "reserved", KvError);
  throws(() => kv.delete("d", KV_RESERVED_KEY), "reserved", KvError);
  equal(kv.get("d", KV_RESERVED_KEY), undefined, "read of the reserved key");
});

check("a set takes the intent's two writes and one erase besides its own erase and write", () => {
  const flash = new NvsFlash();
  const kv = open(flash);
  kv.set("d", "k", 1);
  equal(flash.operations, 3, "new key: intent write, key write, intent erase");
  kv.set("d", "k", 2);
  equal(flash.operations, 7, "replace: + intent write, key erase, key write, intent erase");
  kv.delete("d", "missing");
  equal(flash.operations, 7, "deleting a missing key writes nothing");
});

check("a flash error after the intent is stored: the change is made, and the next write applies it", () => {
  const flash = new NvsFlash();
  const kv = open(flash);
  kv.set("d", "k", "old");
  // Writes fail from the key's own write on: the intent is on flash, the key was erased.
  const write = flash.set.bind(flash);
  let writes = 0;
  flash.set = (domain, key, value) => {
    if (++writes === 2) flash.failWrites = true;
    write(domain, key, value);
  };
  kv.set("d", "k", "new");
  equal([kv.get("d", "k"), kv.keys("d"), flash.get("d", "k")], ["new", ["k"], undefined], "read through the intent; the key itself missing");
  equal(open(flash).get("d", "k"), "new", "a new store (a reboot) reads the same");
  throws(() => kv.set("d", "j", 1), "pending change", KvError);
  flash.failWrites = false;
  kv.set("d", "j", 1);
  equal([flash.get("d", "k"), flash.get("d", "j"), flash.get("d", KV_RESERVED_KEY)], ["new", 1, undefined], "both applied, no intent left");
});

check("a flash error on the intent itself: nothing changed, the error is a KvError", () => {
  const flash = new NvsFlash();
  const kv = open(flash);
  kv.set("d", "k", "old");
  flash.failWrites = true;
  throws(() => kv.set("d", "k", "new"), "nvs set fail", KvError);
  flash.failWrites = false;
  equal([kv.get("d", "k"), open(flash).get("d", "k")], ["old", "old"], "old value, before and after a reboot");
});

done();
