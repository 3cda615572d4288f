/**
 * The extender wire format, as kube-scheduler speaks it. Keys are the capitalised Go field names because the
 * upstream structs carry no json tags (k8s.io/kube-scheduler extender/v1/types.go:33-132); embedded Pod and Node
 * objects use the usual lowerCamel keys. Parsing is exact-case: kube-scheduler always sends `Pod`, `NodeNames`.
 */
import { Reader, isRecord, type Checked } from '../core/check.ts';

/** ExtenderArgs, reduced to what berth reads. `names` is filled in both modes. */
export interface ExtenderArgs {
  readonly pod: Readonly<Record<string, unknown>>;
  /** names: nodeCacheCapable true (NodeNames); full: nodeCacheCapable false (Nodes, a full v1.NodeList). */
  readonly mode: 'names' | 'full';
  readonly names: readonly string[];
  /** full mode only: the request's Node objects, returned untouched for the nodes that pass. */
  readonly items: readonly unknown[] | null;
}

export interface WireLimits {
  readonly maxNodes: number;
  readonly acceptFullNodes: boolean;
}

/** ExtenderFilterResult (extender/v1/types.go:88-103). Maps are null-prototype: node names are untrusted keys. */
export interface FilterResult {
  NodeNames: string[] | null;
  Nodes: { metadata: Record<string, never>; items: unknown[] } | null;
  FailedNodes: Record<string, string>;
  FailedAndUnresolvableNodes: Record<string, string>;
  Error: string;
}

/** HostPriority (extender/v1/types.go:124-129); Score must be a JSON integer. */
export interface HostPriority {
  Host: string;
  Score: number;
}

function readNames(r: Reader, v: unknown, limits: WireLimits): string[] | null {
  const arr = r.array(v, 'NodeNames', limits.maxNodes);
  if (!arr) return null;
  for (let i = 0; i < arr.length; i++) {
    const n = arr[i];
    if (typeof n !== 'string' || n === '' || n.length > 253) {
      r.fail(
        `NodeNames[${i}]`,
        typeof n === 'string'
          ? 'must be a node name of 1 to 253 characters'
          : `must be a string, got ${n === null ? 'null' : typeof n}`,
      );
      return null;
    }
  }
  return arr as string[];
}

function readNodeList(r: Reader, v: unknown, limits: WireLimits): { names: string[]; items: unknown[] } | null {
  if (!limits.acceptFullNodes) {
    r.fail(
      'Nodes',
      'full-nodes requests are turned off: set nodeCacheCapable: true in the scheduler configuration (recommended) or start berth with --accept-full-nodes',
    );
    return null;
  }
  const list = r.record(v, 'Nodes');
  if (!list) return null;
  const items = r.array(list['items'], 'Nodes.items', limits.maxNodes);
  if (!items) return null;
  const names: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const meta = isRecord(item) ? item['metadata'] : undefined;
    const name = isRecord(meta) ? meta['name'] : undefined;
    if (typeof name !== 'string' || name === '') {
      r.fail(`Nodes.items[${i}].metadata.name`, 'must be a non-empty string');
      return null;
    }
    names.push(name);
  }
  return { names, items };
}

/** Validates a filter/prioritize body. Problems name the field, for the HTTP 400 message. */
export function parseExtenderArgs(body: unknown, limits: WireLimits): Checked<ExtenderArgs> {
  const r = new Reader();
  const o = r.record(body, 'body');
  if (!o) return r.done<ExtenderArgs>(null);
  const pod = r.record(o['Pod'], 'Pod');
  if (pod) r.record(pod['metadata'], 'Pod.metadata');
  const rawNames = o['NodeNames'];
  const rawNodes = o['Nodes'];
  let parsed: { names: string[]; items: unknown[] | null } | null = null;
  let mode: ExtenderArgs['mode'] = 'names';
  if (rawNames !== null && rawNames !== undefined) {
    const names = readNames(r, rawNames, limits);
    parsed = names ? { names, items: null } : null;
  } else if (rawNodes !== null && rawNodes !== undefined) {
    mode = 'full';
    parsed = readNodeList(r, rawNodes, limits);
  } else {
    r.fail('NodeNames', 'one of NodeNames (nodeCacheCapable: true) or Nodes (nodeCacheCapable: false) must be set');
  }
  if (!pod || !parsed || r.problems.length > 0) return r.done<ExtenderArgs>(null);
  return r.done<ExtenderArgs>({ pod, mode, names: parsed.names, items: parsed.items });
}

export function emptyMap(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** Answers in the mode the scheduler asked in; with full nodes, only `Nodes` is read (protocol §6.3). */
export function filterResult(
  args: ExtenderArgs,
  passed: readonly number[],
  failed: Record<string, string>,
  unresolvable: Record<string, string>,
): FilterResult {
  if (args.mode === 'names') {
    const names =
      passed.length === args.names.length ? (args.names as string[]) : passed.map((i) => args.names[i] ?? '');
    return { NodeNames: names, Nodes: null, FailedNodes: failed, FailedAndUnresolvableNodes: unresolvable, Error: '' };
  }
  const items = args.items ?? [];
  return {
    NodeNames: null,
    Nodes: { metadata: {}, items: passed.map((i) => items[i]) },
    FailedNodes: failed,
    FailedAndUnresolvableNodes: unresolvable,
    Error: '',
  };
}
