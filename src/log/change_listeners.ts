/**
 * The listeners of `MultiRecordLog.onChange`. A listener that throws does
 * not stop the others, nor fail the change: its error goes to `warn`.
 */
export class ChangeListeners {
  readonly #listeners = new Set<() => void>();
  readonly #warn: (message: string) => void;

  /** No listeners yet; their errors will go to `warn`. */
  constructor(warn: (message: string) => void) {
    this.#warn = warn;
  }

  /** Adds `listener`; returns a function that removes it. */
  add(listener: () => void): () => void {
    if (typeof listener !== "function") {
      throw new TypeError("listener must be a function");
    }
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Calls every listener (those added meanwhile wait for the next change). */
  notify(): void {
    if (this.#listeners.size === 0) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (error) {
        // The change happened (an append may be persisted): a listener's bug
        // must not make it look failed.
        this.#report(error);
      }
    }
  }

  #report(error: unknown): void {
    try {
      this.#warn(`mrecordlog: an onChange listener threw: ${error}`);
    } catch {
      // Nowhere left to report it.
    }
  }
}
