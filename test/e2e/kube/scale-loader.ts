/**
 * A fast parallel loader for a real API server: many keep-alive connections, each write a plain HTTP request
 * (no client-node model conversion), retried on 429, 5xx and connection resets. It writes what scale-objects.ts
 * describes the way the cluster's own writers would: the controller creates a pod (already bound, as no scheduler
 * runs), the kubelet patches its status through the status subresource, the agent writes each NodeReport's status
 * through the status subresource too. Used by the scale benchmark and its reduced CI run.
 */
import { Agent, request, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { headerObject } from '../../../server/kube/api-get.ts';
import {
  NAMESPACES,
  NVME_CLASS,
  claimObject,
  nodeName,
  nodeReportFor,
  nodeReportStatus,
  podObject,
  podPlan,
  podStatus,
} from './scale-objects.ts';

export class ApiWriter {
  readonly #server: string;
  readonly #opts: RequestOptions;
  readonly #agent: Agent;
  readonly #concurrency: number;
  writes = 0;

  private constructor(server: string, opts: RequestOptions, concurrency: number) {
    this.#server = server;
    this.#opts = opts;
    this.#concurrency = concurrency;
    this.#agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: opts.ca, cert: opts.cert, key: opts.key });
  }

  static async create(kc: KubeConfig, concurrency = 24): Promise<ApiWriter> {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('no cluster');
    const opts: RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    return new ApiWriter(cluster.server, opts, concurrency);
  }

  close(): void {
    this.#agent.destroy();
  }

  /** One request; 2xx resolves, 409 on create resolves (already there), anything else retries then throws. */
  async send(method: string, path: string, body: unknown, contentType = 'application/json'): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const status = await this.#once(method, path, body, contentType).catch(() => 0);
      if ((status >= 200 && status < 300) || (status === 409 && method === 'POST')) {
        this.writes++;
        return;
      }
      if (attempt >= 8 || (status >= 400 && status < 500 && status !== 429))
        throw new Error(`${method} ${path}: HTTP ${status} after ${attempt} attempts`);
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }

  /** Runs `fn` over the items with `concurrency` in flight. */
  async all<T>(items: Iterable<T>, fn: (item: T) => Promise<void>): Promise<void> {
    const it = items[Symbol.iterator]();
    const worker = async (): Promise<void> => {
      for (let next = it.next(); next.done !== true; next = it.next()) await fn(next.value);
    };
    await Promise.all(Array.from({ length: this.#concurrency }, worker));
  }

  #once(method: string, path: string, body: unknown, contentType: string): Promise<number> {
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(new URL(this.#server + path), {
        method,
        agent: this.#agent,
        headers: { ...headerObject(this.#opts.headers), 'content-type': contentType, 'content-length': payload.length },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function* range(from: number, to: number): Generator<number> {
  for (let i = from; i < to; i++) yield i;
}

export async function loadBasics(w: ApiWriter): Promise<void> {
  await w.all(range(0, NAMESPACES), (i) => w.send('POST', '/api/v1/namespaces', { metadata: { name: `team-${i}` } }));
  await w.send('POST', '/apis/storage.k8s.io/v1/storageclasses', {
    metadata: { name: NVME_CLASS },
    provisioner: 'nvme.example.com/lvm',
    volumeBindingMode: 'WaitForFirstConsumer',
  });
}

/** Node objects (no kubelet, no status: berth never reads Nodes; they are there as in a real cluster). */
export async function loadNodes(w: ApiWriter, from: number, to: number): Promise<void> {
  await w.all(range(from, to), (i) =>
    w.send('POST', '/api/v1/nodes', {
      metadata: {
        name: nodeName(i),
        labels: { 'kubernetes.io/hostname': nodeName(i), 'topology.kubernetes.io/zone': `zone-${i % 3}` },
      },
    }),
  );
}

/** NodeReports of nodes [from, to), their status written now through the status subresource, as the agent does. */
export async function loadReports(w: ApiWriter, from: number, to: number, nodes: number): Promise<void> {
  const base = '/apis/berth.io/v1alpha1/nodereports';
  await w.all(range(from, to), async (i) => {
    const report = nodeReportFor(i, nodes, new Date().toISOString());
    await w.send('POST', `${base}?fieldManager=berth-agent`, {
      apiVersion: 'berth.io/v1alpha1',
      kind: 'NodeReport',
      metadata: { name: nodeName(i) },
    });
    await w.send(
      'PATCH',
      `${base}/${nodeName(i)}/status?fieldManager=berth-agent`,
      { status: nodeReportStatus(report) },
      'application/merge-patch+json',
    );
  });
}

/** Pods [from, to) (and the claims of the stateful ones): created bound, then the kubelet's status patch. */
export async function loadPods(
  w: ApiWriter,
  from: number,
  to: number,
  nodes: number,
  onProgress?: (done: number) => void,
): Promise<void> {
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  let done = 0;
  await w.all(range(from, to), async (i) => {
    const p = podPlan(i, nodes);
    const pods = `/api/v1/namespaces/${p.namespace}/pods`;
    if (p.stateful) await w.send('POST', `/api/v1/namespaces/${p.namespace}/persistentvolumeclaims`, claimObject(p));
    await w.send('POST', `${pods}?fieldManager=kube-controller-manager`, podObject(p));
    await w.send(
      'PATCH',
      `${pods}/${p.name}/status?fieldManager=kubelet`,
      { status: podStatus(p, at) },
      'application/strategic-merge-patch+json',
    );
    if (++done % 1000 === 0) onProgress?.(done);
  });
}
