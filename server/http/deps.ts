import type { ExtenderConfig } from '../../lib/extender/config.ts';
import type { ReportStore } from '../../lib/extender/report-store.ts';
import type { ClusterView, ReportAuthenticator } from '../../lib/extender/ports.ts';
import type { ExtenderMetrics } from './metrics.ts';

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
