/**
 * The pieces that let one Node process hold ten thousand virtual devices: the fleet's shared
 * timer heap (host-sim/fleet/scheduler.ts) and the audio that plays instantly but keeps the HAL
 * queue's semantics (host-sim/fleet/silent-audio.ts).
 */
import { describe, expect, it } from "@jest/globals";
import { FleetScheduler } from "../../host-sim/fleet/scheduler";
import { InstantPlayback, SilentAudio } from "../../host-sim/fleet/silent-audio";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 400 && !condition(); i++) await sleep(5);
  expect(condition()).toBe(true);
};

describe("fleet scheduler", () => {
  it("fires one-shots in due order, ties in arming order, over many devices", async () => {
    const scheduler = new FleetScheduler();
    const fired: string[] = [];
    const a = scheduler.timers();
    const b = scheduler.timers();
    a.once(() => fired.push("a30"), 30);
    b.once(() => fired.push("b10"), 10);
    a.once(() => fired.push("a10"), 10);
    b.once(() => fired.push("b0"), 0);
    expect(scheduler.live).toBe(4);
    await until(() => fired.length === 4);
    expect(fired).toEqual(["b0", "b10", "a10", "a30"]);
    expect(scheduler.live).toBe(0);
  });

  it("repeats until cleared, and clearAll cancels only that device's timers", async () => {
    const scheduler = new FleetScheduler();
    const a = scheduler.timers();
    const b = scheduler.timers();
    let ticksA = 0;
    let ticksB = 0;
    a.repeat(() => ticksA++, 10);
    const handle = b.repeat(() => ticksB++, 10);
    a.once(() => (ticksA += 100), 5);
    await until(() => ticksA >= 103 && ticksB >= 3);
    a.clearAll();
    const seenA = ticksA;
    await sleep(40);
    expect(ticksA).toBe(seenA);
    b.clear(handle);
    const seenB = ticksB;
    await sleep(30);
    expect(ticksB).toBe(seenB);
    expect(scheduler.live).toBe(0);
  });

  it("keeps going when one callback throws", async () => {
    const errors: unknown[] = [];
    const scheduler = new FleetScheduler((error) => errors.push(error));
    const timers = scheduler.timers();
    let after = false;
    timers.once(() => {
      throw new Error("broken device");
    }, 1);
    timers.once(() => (after = true), 2);
    await until(() => after);
    expect(after).toBe(true);
    expect(String(errors[0])).toMatch(/broken device/);
  });
});

describe("silent audio", () => {
  it("counts queued items until the callback after them, runs callbacks in order, and refuses past capacity", async () => {
    const audio = new SilentAudio(new InstantPlayback());
    const reached: number[] = [];
    audio.enqueueClip("received");
    audio.enqueueClip("n2");
    audio.enqueueCallback(() => reached.push(audio.pending()));
    audio.enqueueClip("rupees");
    audio.enqueueCallback(() => reached.push(audio.pending()));
    expect(audio.pending()).toBe(5);
    for (let i = 0; i < 3; i++) audio.enqueueClip("x");
    expect(() => audio.enqueueClip("x")).toThrow("audio queue full");
    await sleep(5);
    // After the first marker: the two clips after it and the three more remain; after the second, the three.
    expect(reached).toEqual([5, 3]);
    expect(audio.pending()).toBe(3);
  });

  it("flush drops what is queued and its callbacks", async () => {
    const audio = new SilentAudio(new InstantPlayback());
    let ran = false;
    audio.enqueueClip("a");
    audio.enqueueCallback(() => (ran = true));
    audio.flush();
    expect(audio.pending()).toBe(0);
    await sleep(5);
    expect(ran).toBe(false);
  });
});
