/**
 * One collection round → one NodeReport. Runs each collector with a stopwatch and a safety net: a collector that
 * throws leaves its fields empty and becomes a `{collector, reason}` problem; the round always produces a report.
 *
 * The disk and NIC collectors run concurrently; latency probing runs after them, alone, because spawning `vgs` or
 * `lsblk` blocks the event loop for a moment and would otherwise show up as RTT on this node's own probes.
 * A collector's problem is logged once when it appears or changes, and once when it clears, not every round.
 */
import {
  REPORT_API_VERSION,
  REPORT_LIMITS,
  type CollectorName,
  type CollectorProblem,
  type NicReport,
  type NodeReport,
  type NvmeDevice,
  type PeerRtt,
  type StoragePool,
} from '../../lib/core/report.ts';
import type { Collected } from './collectors/collected.ts';
import type { Logger } from '../common/log.ts';
import { type AgentClock, errorMessage } from './deps.ts';
import type { AgentMetrics } from './metrics.ts';

export interface ReportSources {
  readonly devices: (nowMs: number) => Promise<Collected<NvmeDevice[]>>;
  readonly pools: () => Promise<Collected<StoragePool[]>>;
  readonly nics: (nowMs: number) => Promise<Collected<NicReport[]>>;
  /** null when probing is off. */
  readonly peers: ((nowMs: () => number, signal: AbortSignal) => Promise<Collected<PeerRtt[]>>) | null;
}

export interface ReportIdentity {
  readonly node: string;
  readonly zone: string | null;
  readonly probe: string | null;
}

export interface ReportCollectorOptions {
  readonly identity: ReportIdentity;
  readonly sources: ReportSources;
  readonly clock: AgentClock;
  readonly log: Logger;
  readonly metrics: AgentMetrics;
  readonly instance: string;
  /** Problems known before any round (e.g. "cannot derive the probe address"), reported every round. */
  readonly standingProblems?: readonly CollectorProblem[];
}

export class ReportCollector {
  readonly #opts: ReportCollectorOptions;
  readonly #lastProblems = new Map<CollectorName, string>();
  #sequence = 0;

  constructor(opts: ReportCollectorOptions) {
    this.#opts = opts;
  }

  get instance(): string {
    return this.#opts.instance;
  }

  async collect(signal: AbortSignal): Promise<NodeReport> {
    const { sources, clock } = this.#opts;
    const problems: CollectorProblem[] = [...(this.#opts.standingProblems ?? [])];
    const [devices, pools, nics] = await Promise.all([
      this.#run('nvme', () => sources.devices(clock.monotonicMs()), problems),
      this.#run('pools', () => sources.pools(), problems),
      this.#run('network', () => sources.nics(clock.monotonicMs()), problems),
    ]);
    const peerSource = sources.peers;
    const peers =
      peerSource === null
        ? []
        : await this.#run('latency', () => peerSource(() => clock.monotonicMs(), signal), problems);
    this.#sequence++;
    return {
      apiVersion: REPORT_API_VERSION,
      ...this.#opts.identity,
      takenAt: new Date(clock.nowMs()).toISOString(),
      agent: { instance: this.#opts.instance, sequence: this.#sequence },
      devices: devices.slice(0, REPORT_LIMITS.devices),
      pools: pools.slice(0, REPORT_LIMITS.pools),
      nics: nics.slice(0, REPORT_LIMITS.nics),
      peers: peers.slice(0, REPORT_LIMITS.peers),
      problems: problems.slice(0, REPORT_LIMITS.problems),
    };
  }

  async #run<T>(
    collector: CollectorName,
    fn: () => Promise<Collected<T[]>>,
    problems: CollectorProblem[],
  ): Promise<T[]> {
    const started = this.#opts.clock.monotonicMs();
    let value: T[] = [];
    let reasons: readonly string[];
    try {
      const out = await fn();
      value = out.value;
      reasons = out.problems;
    } catch (err) {
      reasons = [errorMessage(err)];
    }
    this.#opts.metrics.observeCollect(collector, (this.#opts.clock.monotonicMs() - started) / 1000, reasons.length > 0);
    for (const reason of reasons) problems.push({ collector, reason: reason.slice(0, 1024) });
    this.#logTransition(collector, reasons.join('; '));
    return value;
  }

  #logTransition(collector: CollectorName, reason: string): void {
    const before = this.#lastProblems.get(collector) ?? '';
    if (before === reason) return;
    if (reason === '') {
      this.#lastProblems.delete(collector);
      this.#opts.log.info({ collector }, 'collector recovered');
    } else {
      this.#lastProblems.set(collector, reason);
      this.#opts.log.warn({ collector, reason }, 'collector problem');
    }
  }
}
