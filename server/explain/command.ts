/**
 * `berth explain pod NAMESPACE/NAME` (also `kubectl berth explain pod ...`, through bin/kubectl-berth): why berth
 * would let each node through or not for a pod, from the user's machine with the user's kubeconfig and read-only
 * rights. The verdicts use the extender's own configuration, read from its Deployment's flags (--extender), with
 * any policy flag given here on top; the same flag table and parser as `berth extender`.
 */
import { describeProblems } from '../../lib/core/check.ts';
import type { OptionTable, RawFlags } from '../../lib/core/options.ts';
import { optionsHelp } from '../../lib/core/options-text.ts';
import { parseExtenderConfig, type ExtenderConfig } from '../../lib/extender/config.ts';
import { OPTIONS, type RawOptions } from '../../lib/extender/options.ts';
import type { Policy } from '../../lib/extender/verdict.ts';
import { errorText, loadClientNode, loadKubeConfig, type KubeConfig } from '../common/client-node.ts';
import { parseFlags } from '../common/options.ts';
import { judge } from './engine.ts';
import { explainOutput, renderJson, renderText } from './format.ts';
import { isBerthError } from '../../lib/core/errors.ts';
import { readCluster, type Read } from './read.ts';

/** `berth extender` flags that change a verdict: given here, they override the extender Deployment's. */
const POLICY_FLAGS = [
  'report-ttl',
  'stale-policy',
  'capacity-strategy',
  'weight-capacity',
  'weight-bandwidth',
  'weight-latency',
  'latency-reference',
  'nvme-storage-classes',
  'nvme-provisioners',
  'reservation-ttl',
] as const;

export const EXPLAIN_OPTIONS: OptionTable = Object.freeze({
  output: { type: 'string', default: 'text', help: 'text, or json for scripts (-o json)' },
  namespace: { type: 'string', default: '', help: "the pod's namespace when not given as NAMESPACE/NAME (-n)" },
  kubeconfig: {
    type: 'string',
    default: '',
    help: 'kubeconfig file (empty: $KUBECONFIG, then ~/.kube/config)',
  },
  context: { type: 'string', default: '', help: 'kubeconfig context (empty: the current one)' },
  extender: {
    type: 'string',
    default: 'berth-system/berth-extender',
    help: "namespace/name of the extender Deployment whose flags the verdicts use (empty: berth's defaults)",
  },
  ...Object.fromEntries(
    POLICY_FLAGS.map((f) => [f, { ...OPTIONS[f], help: `${OPTIONS[f].help}; overrides the extender's` }]),
  ),
});

const USAGE = `Usage: berth explain pod NAMESPACE/NAME [flags]
       kubectl berth explain pod NAMESPACE/NAME [flags]

Why berth would place the pod where it would: every node, whether it passes and why, each term and the score,
how old its NodeReport is, and a summary. Reads the cluster with your kubeconfig (read-only; the ClusterRole
berth-explain lists what it needs) and judges with the extender's configuration, read from its Deployment.`;

/** -o json, -ojson, -n NS, -nNS → the long flags parseArgs knows. */
function longFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const m = /^-([on])(.*)$/.exec(a);
    if (m === null) out.push(a);
    else out.push(m[1] === 'o' ? '--output' : '--namespace', ...(m[2] ? [m[2].replace(/^=/, '')] : []));
  }
  return out;
}

function fail(message: string, code: number): number {
  process.stderr.write(`berth explain: ${message}\n`);
  return code;
}

/** The pod named by the words; its namespace is null when it comes from -n or the kubeconfig context. */
function target(words: readonly string[]): { namespace: string | null; name: string } | string {
  const [kind, ref, ...extra] = words;
  if (kind !== 'pod' && kind !== 'pods' && kind !== 'po') return `expected "pod", got ${JSON.stringify(kind ?? '')}`;
  if (ref === undefined || extra.length > 0) return 'expected exactly one pod: NAMESPACE/NAME';
  const parts = ref.split('/');
  const [ns, name] = parts.length === 1 ? [null, parts[0]] : parts;
  if (parts.length > 2 || ns === '' || !name) return `expected NAMESPACE/NAME, got ${JSON.stringify(ref)}`;
  return { namespace: ns ?? null, name };
}

/** Splits the words (pod NAMESPACE/NAME) from the flags, which may come before, between or after them. */
function split(argv: readonly string[]): { words: string[]; flags: string[] } {
  const words: string[] = [];
  const flags: string[] = [];
  const args = longFlags(argv);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('-')) {
      words.push(a);
      continue;
    }
    flags.push(a);
    const spec = EXPLAIN_OPTIONS[a.replace(/^--/, '')];
    const next = args[i + 1];
    if (spec?.type === 'string' && !a.includes('=') && next !== undefined) {
      flags.push(next);
      i++;
    }
  }
  return { words, flags };
}

export async function runExplainCommand(argv: readonly string[]): Promise<number> {
  const { words, flags } = split(argv);
  const parsed = parseFlags(flags, EXPLAIN_OPTIONS);
  if (!parsed.ok) return fail(`${parsed.message}\nRun 'berth explain --help' for the flags.`, 2);
  if (parsed.help) {
    const table = optionsHelp('explain', '', EXPLAIN_OPTIONS).split('\n').slice(4).join('\n');
    process.stdout.write(`${USAGE}\n\n${table}`);
    return 0;
  }
  const v = parsed.values;
  const str = (name: string): string => (typeof v[name] === 'string' ? v[name] : '');
  const output = str('output') || 'text';
  if (output !== 'text' && output !== 'json')
    return fail(`--output: must be text or json, got ${JSON.stringify(output)}`, 2);
  const extenderRef = typeof v['extender'] === 'string' ? v['extender'] : 'berth-system/berth-extender';
  const [ens = '', ename = ''] = extenderRef.split('/');
  if (extenderRef !== '' && (ens === '' || ename === ''))
    return fail(`--extender: expected NAMESPACE/NAME, got ${JSON.stringify(extenderRef)}`, 2);
  const named = target(words);
  if (typeof named === 'string') return fail(`${named}\n\n${USAGE}`, 2);
  const early = parseExtenderConfig({ ...pickPolicy(v), kube: true });
  if (!early.ok) return fail(describeProblems(early.problems), 2);
  const k8s = await loadClientNode();
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig(k8s, str('kubeconfig') || null);
    if (str('context') !== '') kc.setCurrentContext(str('context'));
  } catch (err) {
    return fail(errorText(err), 1);
  }
  const namespace =
    named.namespace ?? (str('namespace') || (kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default'));
  const pod = { namespace, name: named.name };
  let read: Read;
  try {
    read = await readCluster(k8s, kc, {
      ...pod,
      extender: extenderRef === '' ? null : { namespace: ens, name: ename },
    });
  } catch (err) {
    return fail(isBerthError(err) ? err.message : errorText(err), 1);
  }
  const config = configFor(read, v, extenderRef);
  if (typeof config === 'string') return fail(config, 2);
  const judged = judge(read.snapshot, config.config, Date.now());
  const out = explainOutput(read.snapshot.pod, judged, read.snapshot.nodes, config.policy, config.warnings);
  process.stdout.write(output === 'json' ? renderJson(out) : renderText(out));
  return 0;
}

function pickPolicy(from: RawFlags): RawOptions {
  const picked: Record<string, string | boolean> = {};
  for (const f of POLICY_FLAGS) {
    const v = from[f];
    if (typeof v === 'string' || typeof v === 'boolean') picked[f] = v;
  }
  return picked;
}

/** The extender Deployment's policy flags, with the ones given on the command line on top. */
function configFor(
  read: Read,
  given: RawFlags,
  extenderRef: string,
): { config: ExtenderConfig; policy: Policy & { source: string }; warnings: string[] } | string {
  const warnings = [...read.warnings];
  let theirs: RawFlags = {};
  if (read.extenderArgs !== null) {
    const parsed = parseFlags(read.extenderArgs, OPTIONS);
    if (parsed.ok) theirs = parsed.values;
    else
      warnings.push(
        `the flags of Deployment ${extenderRef} do not parse (${parsed.message}); berth's defaults are used`,
      );
  }
  const mine = pickPolicy(given);
  const parsed = parseExtenderConfig({ ...pickPolicy(theirs), ...mine, kube: true });
  if (!parsed.ok) return `invalid configuration: ${describeProblems(parsed.problems)}`;
  const base = read.extenderArgs === null ? "berth's defaults" : `the flags of Deployment ${extenderRef}`;
  const overrides = Object.keys(mine).map((f) => `--${f}`);
  const source = overrides.length === 0 ? base : `${base}, with ${overrides.join(' ')} from the command line`;
  return { config: parsed.value, policy: { ...parsed.value.policy, source }, warnings };
}
