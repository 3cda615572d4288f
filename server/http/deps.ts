import type { ExtenderConfig } from '../../lib/extender/config.ts';
import type { ReportStore } from '../../lib/extender/report-store.ts';
import type { ClusterView, ReportAuthenticator } from '../../lib/extender/ports.ts';
import type { ClaimSource } from '../../lib/cluster/routing.ts';
import type { ExtenderMetrics } from './metrics.ts';

/** Everything the HTTP layer is built from. Time comes from `now`, so tests can move it. */
export interface AppDeps {
  readonly config: ExtenderConfig;
  readonly store: ReportStore;
  readonly cluster: ClusterView;
  readonly metrics: ExtenderMetrics;
  readonly now: () => number;
  readonly authenticateReport: ReportAuthenticator | null;
  /** Claims and StorageClasses for the pod-routing webhook (server/http/admission.ts); absent: annotations only. */
  readonly claims?: ClaimSource;
  /** Set by graceful shutdown: readiness fails before the listener closes. */
  readonly shuttingDown: () => boolean;
}
