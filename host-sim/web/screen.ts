/**
 * A device's screen in the page: the firmware's RGB565 framebuffer, fetched when the server says a
 * new frame exists and drawn pixel for pixel into a canvas. One fetch at a time; frames that
 * arrive meanwhile collapse into one more fetch of the newest.
 */

export class ScreenView {
  #shown = 0;
  #wanted = 0;
  #busy = false;
  readonly #context: CanvasRenderingContext2D;

  constructor(readonly canvas: HTMLCanvasElement, private readonly deviceId: string, width: number, height: number) {
    canvas.width = width;
    canvas.height = height;
    this.#context = canvas.getContext("2d", { willReadFrequently: true }) as CanvasRenderingContext2D;
  }

  /** The frame number the canvas shows, for tests and the accessible label. */
  get shown(): number {
    return this.#shown;
  }

  /** The server has frame `frame`; fetch it unless the canvas already shows it or a later one. */
  want(frame: number): void {
    if (frame <= this.#shown) return;
    this.#wanted = Math.max(this.#wanted, frame);
    if (!this.#busy) void this.#fetch();
  }

  async #fetch(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#wanted > this.#shown) {
        const target = this.#wanted;
        const res = await fetch(`/api/device/${encodeURIComponent(this.deviceId)}/frame`, { cache: "no-store" });
        if (!res.ok) return;
        const frame = Number(res.headers.get("x-frame"));
        this.#draw(new DataView(await res.arrayBuffer()), Number(res.headers.get("x-width")), Number(res.headers.get("x-height")));
        // Frame numbers only grow, so what came back is the target or newer.
        this.#shown = Math.max(frame, target);
        this.canvas.dataset.frame = String(frame);
      }
    } finally {
      this.#busy = false;
    }
  }

  #draw(pixels: DataView, width: number, height: number): void {
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const image = this.#context.createImageData(width, height);
    const out = image.data;
    for (let i = 0, n = width * height; i < n; i++) {
      const p = pixels.getUint16(i * 2, true);
      const r = (p >> 11) & 0x1f, g = (p >> 5) & 0x3f, b = p & 0x1f;
      out[i * 4] = (r << 3) | (r >> 2);
      out[i * 4 + 1] = (g << 2) | (g >> 4);
      out[i * 4 + 2] = (b << 3) | (b >> 2);
      out[i * 4 + 3] = 255;
    }
    this.#context.putImageData(image, 0, 0);
  }
}
