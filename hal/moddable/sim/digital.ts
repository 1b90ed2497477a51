/**
 * "embedded:io/digital" for the desktop simulator, which has no ECMA-419 GPIO: inputs read
 * their idle level (1 with a pull-up, 0 otherwise) and never signal; outputs are ignored.
 * The manifest maps the specifier here on lin/mac only.
 */
export default class Digital {
  static readonly Input = 0;
  static readonly InputPullUp = 1;
  static readonly InputPullDown = 2;
  static readonly InputPullUpDown = 3;
  static readonly Output = 8;
  static readonly OutputOpenDrain = 9;
  static readonly Rising = 1;
  static readonly Falling = 2;

  #level: 0 | 1;

  constructor(options: { pin: number; mode: number; edge?: number; onReadable?: () => void }) {
    this.#level = options.mode === Digital.InputPullUp ? 1 : 0;
  }

  read(): 0 | 1 {
    return this.#level;
  }

  write(value: 0 | 1): void {
    this.#level = value;
  }

  close(): void {}
}
