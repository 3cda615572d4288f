/** What a collector hands back: its value, plus partial problems (one pool failed, the others did not). */
export interface Collected<T> {
  readonly value: T;
  readonly problems: readonly string[];
}
