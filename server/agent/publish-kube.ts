/**
 * Publishes the agent's report as its node's NodeReport object, through the API server, with server-side apply
 * (field manager berth-agent). When to publish (significant change, heartbeat) and retries stay with the agent
 * loop and LatestWinsSender; this only writes.
 *
 * Two applies, because the report lives in the status subresource:
 *   1. the object itself, with an ownerReference to the Node (read once, for its uid), so garbage collection
 *      removes the report with the node; done on the first publish and again whenever the object is gone (404);
 *   2. the status, on every publish.
 * RBAC and the admission policy (manifests/) allow exactly these writes, and only for the node the agent runs on.
 */
import {
  nodeReportObject,
  NODE_REPORT_GROUP,
  NODE_REPORT_PLURAL,
  NODE_REPORT_VERSION,
  type NodeOwner,
} from '../../lib/core/node-report-resource.ts';
import type { NodeReport } from '../../lib/core/report.ts';
import type { K8s, KubeConfig } from '../common/client-node.ts';
import { errorText } from '../common/client-node.ts';
import { isPublishError, publishError, type ReportPublisher } from './publish/publisher.ts';
import { withDeadline } from './deadline.ts';

export const FIELD_MANAGER = 'berth-agent';

export interface KubeReportPublisherOptions {
  readonly k8s: K8s;
  readonly kc: KubeConfig;
  /** The node this agent runs on; a report for any other node is refused here, before the API server does. */
  readonly node: string;
  readonly timeoutMs: number;
}

export class KubeReportPublisher implements ReportPublisher {
  readonly #o: KubeReportPublisherOptions;
  readonly #custom: InstanceType<K8s['CustomObjectsApi']>;
  readonly #core: InstanceType<K8s['CoreV1Api']>;
  #owner: NodeOwner | null = null;
  #objectApplied = false;

  constructor(opts: KubeReportPublisherOptions) {
    this.#o = opts;
    this.#custom = opts.kc.makeApiClient(opts.k8s.CustomObjectsApi);
    this.#core = opts.kc.makeApiClient(opts.k8s.CoreV1Api);
  }

  async publish(report: NodeReport, signal: AbortSignal): Promise<void> {
    if (report.node !== this.#o.node)
      throw publishError(`report is for node ${report.node}, this agent runs on ${this.#o.node}`);
    await withDeadline(this.#publish(report), this.#o.timeoutMs, signal, (why) =>
      publishError(why === 'aborted' ? 'publish aborted' : why),
    );
  }

  async #publish(report: NodeReport): Promise<void> {
    const owner = (this.#owner ??= await this.#readOwner());
    const obj = nodeReportObject(report, owner);
    if (!this.#objectApplied) {
      await this.#apply(
        () =>
          this.#custom.patchClusterCustomObject(
            this.#params({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata }),
            this.#ssa(),
          ),
        'apply NodeReport',
      );
      this.#objectApplied = true;
    }
    try {
      await this.#apply(
        () =>
          this.#custom.patchClusterCustomObjectStatus(
            this.#params({
              apiVersion: obj.apiVersion,
              kind: obj.kind,
              metadata: { name: obj.metadata.name },
              status: obj.status,
            }),
            this.#ssa(),
          ),
        'apply NodeReport status',
      );
    } catch (err) {
      // The object went away (deleted by hand, or the Node was recreated): apply it again on the next publish.
      if (isPublishError(err) && err.upstream?.status === 404) this.#objectApplied = false;
      throw err;
    }
  }

  #params(body: object): {
    group: string;
    version: string;
    plural: string;
    name: string;
    body: object;
    fieldManager: string;
    force: boolean;
  } {
    return {
      group: NODE_REPORT_GROUP,
      version: NODE_REPORT_VERSION,
      plural: NODE_REPORT_PLURAL,
      name: this.#o.node,
      body,
      fieldManager: FIELD_MANAGER,
      force: true,
    };
  }

  #ssa(): ReturnType<K8s['setHeaderOptions']> {
    return this.#o.k8s.setHeaderOptions('Content-Type', this.#o.k8s.PatchStrategy.ServerSideApply);
  }

  async #readOwner(): Promise<NodeOwner> {
    const node = await this.#apply(() => this.#core.readNode({ name: this.#o.node }), 'read own Node');
    const uid = node.metadata?.uid;
    if (uid === undefined) throw publishError(`Node ${this.#o.node} has no uid`);
    return { name: this.#o.node, uid };
  }

  async #apply<T>(call: () => Promise<T>, what: string): Promise<T> {
    try {
      return await call();
    } catch (err) {
      const status = (err as { code?: unknown }).code;
      const body = (err as { body?: unknown }).body;
      const detail = typeof body === 'string' ? messageOf(body) : null;
      throw publishError(`${what}: ${detail ?? errorText(err)}`, {
        status: typeof status === 'number' ? status : null,
        cause: err,
      });
    }
  }
}

function messageOf(body: string): string | null {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    return typeof m === 'string' ? m : null;
  } catch {
    return null;
  }
}
