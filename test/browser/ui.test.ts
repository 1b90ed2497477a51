/**
 * The simulator's web UI in a real browser (Debian's chromium, headless, through playwright-core):
 * a charge created from the page puts a dynamic QR on the QR display's canvas which, read back
 * from the page's pixels and decoded, is the charge's payload; paying it as a wallet turns the
 * screen to success, and the soundbox's announcement shows in the event log and plays through
 * the page's speaker. A screenshot is kept in build/artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jsQR from "jsqr";
import { chromium, type Browser, type Page } from "playwright-core";
import { PNG } from "pngjs";
import { SimulatorControl } from "../../host-sim/control/control";
import { projectRoot } from "../../host-sim/paths";
import { Simulator } from "../../host-sim/simulator";
import { startWebServer, type WebServer } from "../../host-sim/web-server";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(projectRoot, "build", "artifacts");
const MERCHANT = { vpa: "browser.test@okaxis", name: "Browser Test Cafe" };

/** The QR display's canvas pixels, as the page drew them (a lossless PNG of the canvas), decoded. */
async function decodeCanvas(page: Page): Promise<string | undefined> {
  // Runs in the page; the host's type check has no DOM types, hence the structural cast.
  const dataUrl = await page.$eval("canvas[data-screen]", (canvas) => (canvas as unknown as { toDataURL(type: string): string }).toDataURL("image/png"));
  const image = PNG.sync.read(Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64"));
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
}

describe("simulator web UI in chromium", () => {
  let simulator: Simulator;
  let control: SimulatorControl;
  let web: WebServer;
  let browser: Browser;
  let page: Page;
  let stateDir: string;
  const pageErrors: string[] = [];
  const clipsFetched: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    stateDir = mkdtempSync(join(tmpdir(), "payterm-browser-"));
    simulator = await Simulator.start({ stateDir, merchant: MERCHANT });
    control = new SimulatorControl(simulator);
    web = await startWebServer(control, 0);
    await Promise.all([...simulator.devices.keys()].map((id) => control.online(id)));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in CI containers needs --no-sandbox; the speaker may play without a click.
      args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("response", (res) => {
      if (/\/clip\/.*\.wav$/.test(res.url()) && res.ok()) clipsFetched.push(res.url());
    });
    await page.goto(web.url);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    control?.close();
    await simulator?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("draws the QR display's framebuffer, and the QR read from the page's pixels is the merchant's", async () => {
    await page.waitForSelector("canvas[data-screen][data-frame]");
    expect(await page.getAttribute("canvas[data-screen]", "aria-label")).toBe("qr-display-1 screen: idle, merchant QR");
    expect(await decodeCanvas(page)).toBe("upi://pay?pa=browser.test@okaxis&pn=Browser%20Test%20Cafe&cu=INR");
  });

  it("creates a charge whose QR, read from the page, is the charge's; paying it shows success and the soundbox announces it", async () => {
    await page.click("#sound");
    expect(await page.getAttribute("#sound", "aria-pressed")).toBe("true");

    await page.fill("#charge input[name=amount]", "149.00");
    await page.click("#charge button[type=submit]");
    await page.waitForSelector("#current-charge [data-status][data-state=shown]");
    await page.waitForSelector("canvas[data-screen][data-state=charge]");
    const reference = (await page.getAttribute("#current-charge", "data-ref")) as string;
    const charge = control.charge(reference);
    expect(charge?.codes.upi).toMatch(/^upi:\/\/pay\?pa=browser\.test@okaxis&.*am=149\.00/);
    // The canvas may still show the previous frame for a moment: wait until it shows the charge's.
    await page.waitForFunction(`Number(document.querySelector("canvas[data-screen]").dataset.frame) >= ${simulator.device("qr-display-1").display!.frames}`);
    expect(await decodeCanvas(page)).toBe(charge?.codes.upi);
    expect(await page.textContent("#current-charge [data-code=upi]")).toBe(charge?.codes.upi);

    await page.selectOption("#current-charge select[name=wallet]", "Alipay");
    // The provider's clip comes last; the page fetches it when the soundbox starts playing it.
    const lastClip = page.waitForResponse((res) => res.url().endsWith("/clip/prov_alipay.wav") && res.ok(), { timeout: 15_000 });
    await page.click("#charge-pay");
    await page.waitForSelector("canvas[data-screen][data-state=success]");
    await page.waitForSelector("#current-charge [data-status][data-state=paid]");
    expect(await decodeCanvas(page)).toBeUndefined();
    const transactionId = (await page.getAttribute("#charge output", "data-txn")) as string;
    expect(control.charge(reference)).toMatchObject({ status: "paid", transactionId });

    const row = await page.waitForSelector(`#events li[data-name=announced][data-source=soundbox-1][data-txn="${transactionId}:soundbox-1"]`);
    expect(await row.textContent()).toContain("amount=149.00");
    await lastClip;
    await page.waitForFunction("Number(document.body.dataset.clipsPlayed ?? 0) >= 5");
    expect(clipsFetched.filter((url) => url.includes("/api/device/soundbox-1/clip/")).length).toBeGreaterThanOrEqual(5);
    expect(await page.textContent(".soundbox [data-caption]")).toMatch(/one hundred forty.nine rupees on Alipay/i);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "simulator-ui.png") });
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it("confirms a payment from the pay form, followed to the device's ack", async () => {
    await page.selectOption("#pay select[name=deviceId]", "soundbox-1");
    await page.selectOption("#pay select[name=provider]", "WeChat Pay");
    await page.fill("#pay input[name=amount]", "12.50");
    await page.click("#pay button[type=submit]");
    await page.waitForSelector("#pay output[data-outcome=announced]");
    const transactionId = (await page.getAttribute("#pay output", "data-txn")) as string;
    await page.waitForSelector(`#events li[data-name=announced][data-txn="${transactionId}"]`);

    await page.selectOption("#command select[name=deviceId]", "soundbox-1");
    await page.selectOption("#command select[name=name]", "summary");
    await page.click("#command button[type=submit]");
    await page.waitForSelector("#command output[data-outcome=announced]");
    expect(await page.textContent("#command output")).toMatch(/^summary → soundbox-1: ok \{/);
  }, 15_000);

  it("holds a phone to the QR display's NFC reader, which reads the merchant's link from it", async () => {
    await page.selectOption("#nfc select[data-readers]", "qr-display-1");
    await page.selectOption("#nfc select[data-tags]", "phone");
    await page.click("#nfc-place");
    await page.waitForSelector("#nfc [data-holding='phone reading the display']");
    await page.waitForSelector("#nfc [data-nfc-result][data-event=phone-read]", { timeout: 10_000 });
    expect(await page.textContent("#nfc [data-nfc-result]")).toContain("uri=upi://pay?pa=browser.test@okaxis");
    await page.click("#nfc-remove");
    await page.waitForSelector("#nfc [data-holding='']");
  }, 15_000);

  it("shows a card that gives only its UID declined as not a payment instrument", async () => {
    await page.selectOption("#nfc select[data-readers]", "qr-display-1");
    await page.selectOption("#nfc select[data-tags]", "card-uid4");
    await page.click("#nfc-place");
    await page.waitForSelector("#nfc [data-nfc-result][data-event=tap-declined]", { timeout: 10_000 });
    expect(await page.getAttribute("#nfc [data-nfc-result]", "data-outcome")).toBe("rejected");
    expect(await page.textContent("#nfc [data-nfc-result]")).toContain("reason=not_payment_instrument");
    await page.click("#nfc-remove");
    await page.waitForSelector("#nfc [data-holding='']");
  }, 15_000);

  it("presses the soundbox's keys through the firmware and shows its LEDs", async () => {
    const soundbox = ".device[data-device=soundbox-1]";
    expect(await page.getAttribute(`${soundbox} [data-led=online]`, "data-color")).toBe("green");
    const before = Number((await page.textContent(`${soundbox} [data-stat=volume]`))?.split(" ")[0]);
    await page.click(`${soundbox} .key-volumeDown`);
    await page.waitForFunction(`document.querySelector("${soundbox} [data-stat=volume]").textContent.startsWith("${before - 1} of")`);
    await page.click(`${soundbox} .key-volumeUp`);
    await page.waitForFunction(`document.querySelector("${soundbox} [data-stat=volume]").textContent.startsWith("${before} of")`);
    await page.click(`${soundbox} [data-switch]`);
    await page.waitForSelector(`${soundbox}.off [data-led=online][data-color=off]`);
    expect(simulator.device("soundbox-1").running).toBe(false);
    await page.click(`${soundbox} .key-power`);
    await page.waitForSelector(`${soundbox}:not(.off) [data-led=online][data-color=green]`, { timeout: 10_000 });
    expect(pageErrors).toEqual([]);
  }, 20_000);
});
