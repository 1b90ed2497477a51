/**
 * The listeners of one HAL notification, for implementations of a contract that lets several
 * parts of the firmware hear the same change (network.ts). Added and removed at any time, even
 * from inside a notification; each hears every notification made while it is added, in the order
 * they were added.
 */
export class Listeners<T> {
  #list: ((value: T) => void)[] = [];

  /** Returns the function that removes this listener. */
  add(listener: (value: T) => void): () => void {
    // A fresh array each time, so a notification in progress goes on over the list it started with.
    this.#list = this.#list.concat([listener]);
    return () => {
      this.#list = this.#list.filter((l) => l !== listener);
    };
  }

  /**
   * Tells every listener. One that throws does not keep the rest from hearing: the first error
   * is thrown again once all have run.
   */
  emit(value: T): void {
    let failure: { error: unknown } | undefined;
    for (const listener of this.#list) {
      try {
        listener(value);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  /** Forgets every listener (the firmware that added them is gone, as after a power cut). */
  clear(): void {
    this.#list = [];
  }
}
