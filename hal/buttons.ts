export type ButtonId = "volumeUp" | "volumeDown" | "replay" | "power" | "function";

/** Debounced button edges. Press classification (short, long, combinations) is firmware logic. */
export interface Buttons {
  readonly available: readonly ButtonId[];
  onChange: ((button: ButtonId, pressed: boolean) => void) | undefined;
}
