/**
 * Scenario files: what a well-formed one becomes, and for each kind of mistake the line, column
 * and field the error names (`payterm run` exits 2 with it).
 */
import { describe, expect, it } from "@jest/globals";
import { parseDuration, parseScenario, ScenarioSyntaxError } from "../../host-sim/scenario/parse";

function error(text: string, file = "bad.yaml"): ScenarioSyntaxError {
  try {
    parseScenario(text, file);
  } catch (e) {
    if (e instanceof ScenarioSyntaxError) return e;
    throw e;
  }
  throw new Error("parsed without an error");
}

describe("scenario files", () => {
  it("reads a scenario with defaults for devices, timeout, speech speed and expectation windows", () => {
    const s = parseScenario(
      [
        "name: two payments",
        "steps:",
        "  - pay: { device: soundbox-1, amount: \"250.00\", as: first }",
        "  - expect: { event: announced, device: soundbox-1, txn: $first }",
        "  - expect: { event: connected, device: soundbox-1 }",
        "  - expect: { device: soundbox-1, state: { counters: { announced: { min: 1 } } } }",
        "  - wait: 1.5s",
      ].join("\n"),
      "two.yaml",
    );
    expect(s.devices.map((d) => d.deviceId)).toEqual(["soundbox-1", "qr-display-1"]);
    expect(s.timeoutMs).toBe(5000);
    expect(s.speechSpeed).toBe(4);
    expect(s.steps.map((step) => step.at.line)).toEqual([3, 4, 5, 6, 7]);
    expect(s.steps[0]).toMatchObject({ kind: "action", action: { kind: "pay", device: "soundbox-1", amount: "250.00", as: "first" }, label: "pay device=soundbox-1 amount=250.00 as=first" });
    // A named transaction is looked for over the whole run, anything else after the last action.
    expect(s.steps[1]).toMatchObject({ kind: "expect", expect: { kind: "event", since: { from: "start" }, txn: "$first", withinMs: 5000 } });
    expect(s.steps[2]).toMatchObject({ kind: "expect", expect: { kind: "event", since: { from: "last-action" } } });
    expect(s.steps[3]).toMatchObject({ kind: "expect", expect: { kind: "state", state: { op: "fields", value: { counters: { op: "fields", value: { announced: { op: "min", value: 1 } } } } } } });
    expect(s.steps[4]).toMatchObject({ kind: "action", action: { kind: "wait", ms: 1500 } });
  });

  it("reads the same scenario written as JSON, with lines for its steps", () => {
    const s = parseScenario('{\n  "name": "json",\n  "steps": [\n    {"broker": "down"},\n    {"broker": "up"}\n  ]\n}', "s.json");
    expect(s.steps.map((step) => [step.at.line, step.label])).toEqual([[4, "broker down"], [5, "broker up"]]);
  });

  it("parses durations", () => {
    expect([parseDuration("250ms"), parseDuration("2s"), parseDuration("1.5s"), parseDuration("1m"), parseDuration(40)]).toEqual([250, 2000, 1500, 60_000, 40]);
    expect([parseDuration("5 seconds"), parseDuration("-1s"), parseDuration(-3)]).toEqual([undefined, undefined, undefined]);
  });

  it.each([
    ["YAML that does not parse", "name: x\nsteps:\n  - pay: { device: soundbox-1\n", /bad\.yaml:\d+:\d+: /],
    ["a key written twice", "name: x\nname: y\nsteps:\n  - wait: 1s\n", /bad\.yaml:2:1: Map keys must be unique/],
    ["no name", "steps:\n  - wait: 1s\n", /bad\.yaml:1:1: missing name/],
    ["steps that are not a list", "name: x\nsteps: 3\n", /bad\.yaml:2:8: steps: must be a non-empty list/],
    ["an unknown step", "name: x\nsteps:\n  - wait: 1s\n  - dance: now\n", /bad\.yaml:4:5: steps\[1\]: unknown step "dance"/],
    ["a step with two keys", "name: x\nsteps:\n  - { wait: 1s, note: hi }\n", /bad\.yaml:3:5: steps\[0\]: each step is a map with one key/],
    ["an unknown field", "name: x\nsteps:\n  - pay: { device: soundbox-1, amout: \"1.00\" }\n", /bad\.yaml:3:32: steps\[0\]\.pay\.amout: unknown field; expected one of device, amount/],
    ["a missing field", "name: x\nsteps:\n  - pay: { device: soundbox-1 }\n", /steps\[0\]\.pay: missing amount/],
    ["an amount with a separator", "name: x\nsteps:\n  - pay: { device: soundbox-1, amount: \"1,000\" }\n", /bad\.yaml:3:40: steps\[0\]\.pay\.amount: must be a plain decimal/],
    ["a duration in words", "name: x\nsteps:\n  - wait: 5 seconds\n", /bad\.yaml:3:11: steps\[0\]\.wait: must be a duration/],
    ["a device the scenario does not have", "name: x\nsteps:\n  - pay: { device: soundbox-9, amount: 1 }\n", /steps\[0\]\.pay\.device: no device "soundbox-9" in this scenario; devices: soundbox-1, qr-display-1/],
    ["a reference nothing bound", "name: x\nsteps:\n  - expect: { event: announced, txn: $nope }\n", /steps\[0\]\.expect\.txn: \$nope is not bound by an earlier step's "as"/],
    ["a reference bound only later", "name: x\nsteps:\n  - replay: { device: soundbox-1, txn: $late }\n  - pay: { device: soundbox-1, amount: 1, as: late }\n", /steps\[0\]\.replay\.txn: \$late is not bound/],
    ["a name bound twice", "name: x\nsteps:\n  - pay: { device: soundbox-1, amount: 1, as: a }\n  - pay: { device: soundbox-1, amount: 2, as: a }\n", /steps\[1\]\.pay\.as: \$a is already bound/],
    ["an expectation of nothing", "name: x\nsteps:\n  - expect: { device: soundbox-1 }\n", /steps\[0\]\.expect: needs one of event, delivery, charge, qr, state/],
    ["a QR expectation on a soundbox", "name: x\nsteps:\n  - expect: { device: soundbox-1, qr: none }\n", /steps\[0\]\.expect\.device: soundbox-1 has no screen/],
    ["a regular expression that does not compile", "name: x\nsteps:\n  - expect: { event: x, where: { txn: { matches: \"(\" } } }\n", /steps\[0\]\.expect\.where\.txn\.matches: not a regular expression/],
    ["a forgery that does not exist", "name: x\nsteps:\n  - forge: { device: soundbox-1, kind: polite }\n", /steps\[0\]\.forge\.kind: must be one of wrong-key, tampered/],
    ["a button no device has", "name: x\nsteps:\n  - press: { device: soundbox-1, button: eject }\n", /steps\[0\]\.press\.button: must be one of volumeUp/],
    ["a negative count", "name: x\nsteps:\n  - expect: { event: announced, count: -1 }\n", /steps\[0\]\.expect\.count: must be a whole number 0-100000/],
    ["an event source that does not exist", "name: x\nsteps:\n  - expect: { event: acked, device: bank }\n", /steps\[0\]\.expect\.device: must be a device of this scenario or one of service, nfc, broker, simulator/],
    ["a delivery state that does not exist", "name: x\nsteps:\n  - pay: { device: soundbox-1, amount: 1, as: t }\n  - expect: { delivery: $t, state: lost }\n", /steps\[1\]\.expect\.state: must be one of published, retrying/],
    ["a since that is neither start, last-action nor a mark", "name: x\nsteps:\n  - expect: { event: x, since: yesterday }\n", /steps\[0\]\.expect\.since: must be start, last-action or a name set by an earlier mark step/],
    ["a device listed twice", "name: x\ndevices:\n  - { id: a, product: soundbox }\n  - { id: a, product: soundbox }\nsteps:\n  - wait: 1s\n", /bad\.yaml:4:11: devices\[1\]\.id: a is listed twice/],
    ["a device id that cannot be a topic level", "name: x\ndevices:\n  - { id: \"a/b\", product: soundbox }\nsteps:\n  - wait: 1s\n", /devices\[0\]\.id: must be 1-64 of/],
    ["a charge on a soundbox", "name: x\nsteps:\n  - charge: { device: soundbox-1, amount: 1 }\n", /steps\[0\]\.charge\.device: soundbox-1 has no screen to show a charge on/],
    ["a charge status that does not exist", "name: x\nsteps:\n  - charge: { device: qr-display-1, amount: 1, as: c }\n  - expect: { charge: $c, status: lost }\n", /steps\[1\]\.expect\.status: must be one of shown, paid/],
    ["command arguments that are not a map", "name: x\nsteps:\n  - command: { device: soundbox-1, name: config, args: lateMin=10 }\n", /steps\[0\]\.command\.args: must map argument names to values/],
    ["a tag held to a soundbox", "name: x\nsteps:\n  - place-tag: { device: soundbox-1, tag: phone }\n", /steps\[0\]\.place-tag\.device: soundbox-1 has no NFC reader/],
    ["a tag of no known kind", "name: x\nsteps:\n  - place-tag: { device: qr-display-1, tag: banana }\n", /steps\[0\]\.place-tag\.tag: must be one of payment-card, phone-wallet, foreign-card, ntag213-uri/],
    ["a list where a value is compared", "name: x\nsteps:\n  - expect: { device: soundbox-1, state: { buttons: [power] } }\n", /steps\[0\]\.expect\.state\.buttons: lists are not compared/],
  ])("refuses %s, naming where", (_what, text, message) => {
    expect(error(text).message).toMatch(message);
  });

  it("refuses a broken JSON file with its line", () => {
    expect(error('{\n  "name": "x",\n  "steps": [\n    {"wait": "1s"},\n  ]\n', "bad.json").message).toMatch(/^bad\.json:\d+:\d+: /);
  });
});
