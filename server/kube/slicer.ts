/**
 * Keeps informer work from holding the event loop: work runs in slices of at most `budgetMs`, and between slices
 * the loop gets a full turn (setImmediate runs after I/O polling), so a filter call that arrives mid-LIST waits for
 * one slice at most. One Slicer is shared by all informers: their slices add up to one budget per turn, however
 * many of them are listing at once. A stream's chunks alone do not give that turn: buffered data is handed over in
 * microtasks, which run before any I/O.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export class Slicer {
  readonly #budgetMs: number;
  readonly #now: () => number;
  #sliceStart: number;
  /** Turns given back to the event loop so far. */
  yields = 0;

  constructor(budgetMs = 5, now: () => number = () => performance.now()) {
    this.#budgetMs = budgetMs;
    this.#now = now;
    this.#sliceStart = now();
  }

  /** Call between units of work; resolves at once while the slice lasts, after a turn of the loop when it is over. */
  async tick(): Promise<void> {
    if (this.#now() - this.#sliceStart < this.#budgetMs) return;
    await this.pause();
  }

  /** Gives the event loop a turn now and starts a new slice. */
  async pause(): Promise<void> {
    this.yields++;
    await nextTurn();
    this.#sliceStart = this.#now();
  }
}
