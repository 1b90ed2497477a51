/**
 * The simulator's control surface (what the web UI and scenarios drive) on the embedded broker:
 * every forged message is refused with its own reason and never announced, a replay is a
 * duplicate, and the outages (broker, link, power) end with the devices online and nothing lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlError, SimulatorControl } from "../../host-sim/control/control";
import { FORGERIES } from "../../host-sim/control/forgery";
import type { DeviceEvent } from "../../host-sim/device/event-log";
import { Simulator } from "../../host-sim/simulator";

const SOUNDBOX = "sb-ctl";
const DISPLAY = "qr-ctl";

describe("simulator control", () => {
  let simulator: Simulator;
  let control: SimulatorControl;
  let stateDir: string;

  const online = (id: string) => control.online(id);
  const ack = (txn: string, timeoutMs = 5000) => control.serviceLog.waitFor((e) => e.name === "acked" && e.fields.txn === txn, timeoutMs);

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "payterm-control-"));
    simulator = await Simulator.start({
      stateDir,
      devices: [
        { deviceId: SOUNDBOX, product: "soundbox" },
        { deviceId: DISPLAY, product: "qr-display" },
      ],
      service: { delivery: { ackTimeoutMs: 300, maxBackoffMs: 600 } },
    });
    control = new SimulatorControl(simulator);
    await Promise.all([online(SOUNDBOX), online(DISPLAY)]);
  });

  afterAll(async () => {
    control.close();
    await simulator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("pays as a chosen wallet and reports the pipeline from publication to ack", async () => {
    const seen: DeviceEvent[] = [];
    const stop = control.onEvent((e) => seen.push(e));
    const fields = await control.pay({ deviceId: SOUNDBOX, amount: "99.50", currency: "INR", provider: "WeChat Pay" });
    expect((await ack(fields.transactionId)).fields.status).toBe("announced");
    stop();
    const names = seen.filter((e) => e.fields.txn === fields.transactionId).map((e) => `${e.device}:${e.name}`);
    for (const step of ["service:published", `${SOUNDBOX}:verified`, `${SOUNDBOX}:journaled`, `${SOUNDBOX}:announced`, "service:acked"]) expect(names).toContain(step);
    const announced = seen.find((e) => e.name === "announced" && e.fields.txn === fields.transactionId);
    expect(announced?.fields.clips).toContain("prov_wechat_pay");
  });

  it("refuses bad requests with precise errors", async () => {
    await expect(control.pay({ deviceId: "nope", amount: "1" })).rejects.toThrow(/no device "nope"/);
    await expect(control.pay({ deviceId: SOUNDBOX, amount: "1,000" })).rejects.toThrow(ControlError);
    await expect(control.pay({ deviceId: SOUNDBOX, amount: "0" })).rejects.toThrow(/positive decimal/);
    await expect(control.pay({ deviceId: SOUNDBOX, amount: "1", currency: "XXX" })).rejects.toThrow(/XXX/);
    await expect(control.forge(SOUNDBOX, "polite")).rejects.toThrow(/unknown forgery "polite"/);
    expect(() => control.button(DISPLAY, "volumeUp", true)).toThrow(/has no "volumeUp" button/);
    expect(() => control.battery(SOUNDBOX, { percent: 101 })).toThrow(/0-100/);
  });

  it.each(Object.entries(FORGERIES))("refuses a forged message (%s) with its reason and announces nothing", async (kind, forgery) => {
    const before = control.device(SOUNDBOX).firmware.pipeline.counters.announced;
    // A forged body is not trusted, so the rejection may carry no transaction id: one forgery at a time.
    const reply = control.device(SOUNDBOX).log.waitFor((e) => e.name === "rejected");
    const sent = await control.forge(SOUNDBOX, kind);
    expect(sent.expect).toBe(forgery.expect);
    expect((await reply).fields.reason).toBe(forgery.expect);
    expect(control.device(SOUNDBOX).firmware.pipeline.counters.announced).toBe(before);
  });

  it("answers a replay with duplicate and does not announce it again", async () => {
    const fields = await control.pay({ deviceId: SOUNDBOX, amount: "10" });
    await ack(fields.transactionId);
    const announced = control.device(SOUNDBOX).firmware.pipeline.counters.announced;
    const duplicate = control.device(SOUNDBOX).log.waitFor((e) => e.name === "duplicate" && e.fields.txn === fields.transactionId);
    expect(await control.replay(SOUNDBOX)).toBe(fields.transactionId);
    await duplicate;
    expect(control.device(SOUNDBOX).firmware.pipeline.counters.announced).toBe(announced);
    await expect(control.replay(SOUNDBOX, "T-NEVER-SENT")).rejects.toThrow(/no payment "T-NEVER-SENT"/);
  });

  it("delivers a payment made while the broker is down once it is back", async () => {
    await control.brokerDown();
    expect(control.state().broker.up).toBe(false);
    await control.device(SOUNDBOX).log.waitFor((e) => e.name === "disconnected");
    const paying = control.pay({ deviceId: SOUNDBOX, amount: "42" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await control.brokerUp();
    const fields = await paying;
    expect((await ack(fields.transactionId, 15_000)).fields.status).toBe("announced");
    expect(control.brokerLog.events.map((e) => e.name)).toEqual(expect.arrayContaining(["broker-down", "broker-up"]));
  });

  it("keeps a device offline while its link is down and brings it back after", async () => {
    await online(SOUNDBOX);
    control.linkDown(SOUNDBOX);
    // The session makes no attempt without a link: once its delay runs out it waits for the link.
    await control.device(SOUNDBOX).log.waitFor((e) => e.name === "session" && e.fields.state === "no-link", 5000);
    expect(control.state().devices.find((d) => d.deviceId === SOUNDBOX)).toMatchObject({ link: "down", session: "no-link" });
    const fields = await control.pay({ deviceId: SOUNDBOX, amount: "7" });
    control.linkUp(SOUNDBOX);
    expect((await ack(fields.transactionId, 20_000)).fields.status).toBe("announced");
  });

  it("power-cycles a device, which boots from its NVS and does not announce a journaled payment again", async () => {
    await online(SOUNDBOX);
    const fields = await control.pay({ deviceId: SOUNDBOX, amount: "5" });
    await ack(fields.transactionId);
    await control.powerCycle(SOUNDBOX, 200);
    await online(SOUNDBOX);
    const duplicate = control.device(SOUNDBOX).log.waitFor((e) => e.name === "duplicate" && e.fields.txn === fields.transactionId);
    await control.replay(SOUNDBOX, fields.transactionId);
    await duplicate;
    expect(control.worldLog.events.map((e) => e.name)).toEqual(expect.arrayContaining(["power-off", "power-on"]));
  });

  it("puts a charge on the QR display, and paying it settles it there and is announced by the soundbox", async () => {
    const charge = await control.createCharge({ deviceId: DISPLAY, amount: "149.00", schemes: ["upi"] });
    expect(charge).toMatchObject({ deviceId: DISPLAY, status: "shown", currency: "INR" });
    expect(charge.codes.upi).toContain(`tr=${charge.reference}`);
    const announced = control.device(SOUNDBOX).log.waitFor((e) => e.name === "announced" && e.fields.amount === "149.00");
    const paid = await control.payCharge(charge.reference, "Alipay");
    expect(paid.announcedBy).toEqual([SOUNDBOX]);
    expect((await announced).fields.txn).toBe(`${paid.transactionId}:${SOUNDBOX}`);
    await control.serviceLog.waitFor((e) => e.name === "charge-ack" && e.fields.ref === charge.reference && e.fields.status === "paid");
    expect(control.charge(charge.reference)).toMatchObject({ status: "paid", transactionId: paid.transactionId });

    const other = await control.createCharge({ deviceId: DISPLAY, amount: "10.00" });
    await control.cancelCharge(other.reference);
    expect(control.charge(other.reference)?.status).toBe("cancelled");
    await expect(control.cancelCharge(other.reference)).rejects.toThrow(/did not cancel/);
    await expect(control.createCharge({ deviceId: SOUNDBOX, amount: "1" })).rejects.toThrow(/has no screen/);
    await expect(control.payCharge("NEVER", "UPI")).rejects.toThrow(/no charge "NEVER"/);
  });

  it("sends commands: a rotated key is what the service signs with next, and an unknown command is refused", async () => {
    const before = simulator.registry.keyFor(SOUNDBOX)!.keyId;
    const rotated = await control.command(SOUNDBOX, "rotate-key", ["grace=60"]);
    expect(rotated.status).toBe("ok");
    expect(simulator.registry.keyFor(SOUNDBOX)!.keyId).not.toBe(before);
    const fields = await control.pay({ deviceId: SOUNDBOX, amount: "2" });
    expect((await ack(fields.transactionId)).fields.status).toBe("announced");
    expect((await control.command(DISPLAY, "summary")).status).toBe("rejected");
    await expect(control.command(SOUNDBOX, "config", ["lateMin"])).rejects.toThrow(/NAME=VALUE/);
  });

  it("reports each screen frame of the QR display", async () => {
    const frames: number[] = [];
    const stop = control.onFrame((id, frame) => id === DISPLAY && frames.push(frame));
    const fields = await control.pay({ deviceId: DISPLAY, amount: "3" });
    await ack(fields.transactionId);
    stop();
    expect(frames.length).toBeGreaterThan(0);
    expect(control.state().devices.find((d) => d.deviceId === DISPLAY)?.screen).toMatchObject({ state: "success", width: 240, height: 320, frame: frames[frames.length - 1] });
  });
});
