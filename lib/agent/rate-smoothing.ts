/**
 * NIC rates from cumulative byte counters, smoothed with a time-aware EWMA. Pure: samples carry their own time.
 *
 * Smoothing: v ← v + α·(x − v) with α = 1 − exp(−Δt/τ). With irregular sample spacing (a late timer, a slow
 * collector) each sample is weighted by the time it covers, so τ ("--rate-window") means the same thing whatever
 * the interval: a step in load shows ~63 % after τ and ~95 % after 3τ.
 */

export interface CounterSample {
  readonly atMs: number; // monotonic milliseconds
  readonly rxBytes: number;
  readonly txBytes: number;
}

export interface ByteRates {
  readonly rxBytesPerSec: number;
  readonly txBytesPerSec: number;
}

/**
 * The rate between two counter readings, or null when the interval says nothing: time did not advance, or a
 * counter went backwards (interface re-created, driver reset, 32-bit wrap on an old kernel). Skipping is honest;
 * treating a reset as a huge negative or positive rate is not.
 */
export function counterRate(prev: CounterSample, next: CounterSample): ByteRates | null {
  const dtMs = next.atMs - prev.atMs;
  const drx = next.rxBytes - prev.rxBytes;
  const dtx = next.txBytes - prev.txBytes;
  if (!(dtMs > 0) || drx < 0 || dtx < 0) return null;
  return { rxBytesPerSec: (drx * 1000) / dtMs, txBytesPerSec: (dtx * 1000) / dtMs };
}

export interface Ewma {
  readonly value: number;
  readonly atMs: number;
}

/** One EWMA step; the first sample initialises the average. */
export function ewmaUpdate(state: Ewma | null, sample: number, atMs: number, tauMs: number): Ewma {
  if (state === null) return { value: sample, atMs };
  const dt = Math.max(0, atMs - state.atMs);
  const alpha = tauMs <= 0 ? 1 : 1 - Math.exp(-dt / tauMs);
  return { value: state.value + alpha * (sample - state.value), atMs };
}

export interface SmoothedBitRates {
  readonly rxBps: number;
  readonly txBps: number;
}

/**
 * Per-NIC state: the last counter reading and the two averages. Rates come out in bits per second, the unit of
 * the report and of link speed, so that headroom = speed − rate needs no conversion downstream.
 */
export class NicRateSmoother {
  readonly #tauMs: number;
  #last: CounterSample | null = null;
  #rx: Ewma | null = null;
  #tx: Ewma | null = null;

  constructor(tauMs: number) {
    this.#tauMs = tauMs;
  }

  /** Feeds one reading; returns the smoothed rates, or null until two usable readings have been seen. */
  observe(sample: CounterSample): SmoothedBitRates | null {
    const prev = this.#last;
    this.#last = sample;
    const rate = prev === null ? null : counterRate(prev, sample);
    if (rate !== null) {
      this.#rx = ewmaUpdate(this.#rx, rate.rxBytesPerSec * 8, sample.atMs, this.#tauMs);
      this.#tx = ewmaUpdate(this.#tx, rate.txBytesPerSec * 8, sample.atMs, this.#tauMs);
    }
    return this.current();
  }

  current(): SmoothedBitRates | null {
    return this.#rx === null || this.#tx === null ? null : { rxBps: this.#rx.value, txBps: this.#tx.value };
  }
}
