/** The page's calls to the simulator: JSON POSTs whose errors are shown, never swallowed. */

export class ApiError extends Error {}

export async function post<T = unknown>(path: string, body: object = {}): Promise<T> {
  const res = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const reply = (await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }))) as T & { error?: string };
  if (!res.ok) throw new ApiError(reply.error ?? `${res.status} ${res.statusText}`);
  return reply;
}

const status = () => document.getElementById("status") as HTMLElement;

/** One line in the page's status region (announced to screen readers). */
export function say(message: string, tone: "ok" | "error" = "ok"): void {
  const el = status();
  el.textContent = message;
  el.dataset.tone = tone;
  el.classList.add("shown");
  clearTimeout(Number(el.dataset.timer));
  el.dataset.timer = String(setTimeout(() => el.classList.remove("shown"), 4000));
}

/** Runs an action from a control, showing its error; the control is disabled while it runs. */
export async function act(control: HTMLButtonElement | HTMLFieldSetElement | null, run: () => Promise<unknown>): Promise<void> {
  if (control) control.disabled = true;
  try {
    await run();
  } catch (error) {
    say((error as Error).message, "error");
  } finally {
    if (control) control.disabled = false;
  }
}
