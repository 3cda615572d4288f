import type { ExtenderConfig } from '../../lib/config.ts';
import type { ReportStore } from '../../lib/report-store.ts';
import type { ClusterView } from '../cluster-view.ts';
import type { ExtenderMetrics } from '../metrics.ts';

/** Decides whether a caller may push reports, and for which node; null means anyone (standalone, loopback). */
export type ReportAuthenticator = (authorization: string | undefined, node: string) => Promise<{ ok: true } | { ok: false; status: 401 | 403; reason: string }>;

/** Everything the HTTP layer is built from. Time comes from `now`, so tests can move it. */
export interface AppDeps {
  readonly config: ExtenderConfig;
  readonly store: ReportStore;
  readonly cluster: ClusterView;
  readonly metrics: ExtenderMetrics;
  readonly now: () => number;
  readonly authenticateReport: ReportAuthenticator | null;
  /** Set by graceful shutdown: readiness fails before the listener closes. */
  readonly shuttingDown: () => boolean;
}
