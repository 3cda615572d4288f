/**
 * The four informers of the Kubernetes side and where each one's projections go: StorageClasses, claims and pods
 * into the cluster state (lib/cluster/cluster-state.ts), NodeReports into the report store, validated and stamped
 * with when the API server took the write. One map per resource: the sinks are those maps.
 */
import type { ClusterState } from '../../lib/cluster/cluster-state.ts';
import { describeProblems } from '../../lib/core/check.ts';
import { Interner, PodProjector, type PodRecord } from '../../lib/extender/pod.ts';
import type { NodeView } from '../../lib/extender/node-view.ts';
import type { ReportStore } from '../../lib/extender/report-store.ts';
import type { ApiClient } from './api-get.ts';
import { claimCodec, classCodec, podCodec, reportCodec, type ReportArrival } from './resources.ts';
import { Slicer } from './slicer.ts';
import { SupervisedInformer, type Informer, type InformerLog, type InformerSink } from './supervised-informer.ts';

/** Objects per LIST page, as client-go's pager: about 3 MB of pods in protobuf. */
export const LIST_PAGE_SIZE = 500;

export interface InformerOptions {
  readonly api: ApiClient;
  readonly state: ClusterState;
  readonly store: ReportStore;
  readonly watchdogTimeoutMs: number;
  readonly resyncPeriodMs: number;
  readonly now: () => number;
  readonly random: () => number;
  readonly log: InformerLog;
  /** Called for each NodeReport whose status fails validation (after it is logged). */
  readonly invalidReport: () => void;
  /** After a pod's projection reached the cluster state (`pod` null: a relist found it gone, only its key known). */
  readonly podEvent?: (key: string, pod: PodRecord | null, removed: boolean) => void;
  /** After the store accepted a report; `before` is the node's view it replaced. */
  readonly reportAccepted?: (node: string, before: NodeView | undefined) => void;
}

/** The NodeReport sink: the store holds the reports; the names seen are kept to reconcile relists. */
function reportSink(o: InformerOptions): InformerSink<ReportArrival> {
  const names = new Set<string>();
  const ingest = (r: ReportArrival): void => {
    if (!r.parsed.ok) {
      o.invalidReport();
      o.log('warn', 'ignoring an invalid NodeReport', {
        name: r.name,
        problems: describeProblems(r.parsed.problems.slice(0, 10)),
      });
      return;
    }
    const report = r.parsed.value;
    if (report === null) return;
    // Freshness from when the API server took the write, never later than now: a relist or a restart must not
    // make an old report look new (lib/core/node-report-resource.ts).
    const receivedAt = r.writtenAtMs === null ? o.now() : Math.min(o.now(), r.writtenAtMs);
    const before = o.reportAccepted === undefined ? undefined : o.store.get(report.node);
    if (o.store.ingest(report, receivedAt) !== 'accepted') return;
    o.state.reportArrived(report.node, report.takenAt);
    o.reportAccepted?.(report.node, before);
  };
  return {
    upsert: (key, r) => {
      names.add(key);
      ingest(r);
    },
    remove: (key) => {
      names.delete(key);
      o.store.remove(key);
    },
    keys: () => names,
    size: () => names.size,
  };
}

export function createInformers(o: InformerOptions): Informer[] {
  const { state, now } = o;
  const intern = new Interner();
  const common = {
    api: o.api,
    slicer: new Slicer(),
    pageSize: LIST_PAGE_SIZE,
    watchdogTimeoutMs: o.watchdogTimeoutMs,
    resyncPeriodMs: o.resyncPeriodMs,
    now,
    random: o.random,
    log: o.log,
  };
  // StorageClasses first: claims are judged by their class, so the classes should be known when claims arrive.
  return [
    new SupervisedInformer({
      ...common,
      codec: classCodec(),
      sink: {
        upsert: (_key, c) => {
          state.storageClass(c);
        },
        remove: (key) => {
          state.storageClassGone(key);
        },
        keys: () => state.classKeys(),
        size: () => state.classCount,
      },
    }),
    new SupervisedInformer({
      ...common,
      codec: claimCodec(intern),
      sink: {
        upsert: (_key, c, initial) => {
          state.claim(c, now(), initial);
        },
        remove: (key) => {
          state.claimGone(key);
        },
        keys: () => state.claimKeys(),
        size: () => state.claimCount,
      },
    }),
    new SupervisedInformer({
      ...common,
      codec: podCodec(new PodProjector(intern)),
      sink: {
        upsert: (key, pod, initial) => {
          state.pod(pod, now(), initial);
          o.podEvent?.(key, pod, false);
        },
        remove: (key, last) => {
          state.podGone(key, last);
          o.podEvent?.(key, last, true);
        },
        keys: () => state.podKeys(),
        size: () => state.podCount,
      },
    }),
    new SupervisedInformer({ ...common, codec: reportCodec(), sink: reportSink(o) }),
  ];
}
