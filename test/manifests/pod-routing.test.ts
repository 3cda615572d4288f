/**
 * The shipped routing manifests say what lib/cluster/routing.ts says: the same need annotations and marker in
 * their CEL, the same exclusions, never blocking (failurePolicy Ignore, a short timeout), and a webhook that calls
 * the extender's Service on its verbs port at the path berth serves. How they behave on a real API server is
 * test/e2e/adoption/routing.test.ts.
 */
import t from 'tap';
import { join } from 'node:path';
import { MARKER, NEED_ANNOTATIONS } from '../../lib/cluster/routing.ts';
import { ADMISSION_PATH } from '../../server/http/admission.ts';
import { isRecord, loadObjects, MANIFESTS, renderKustomization, type KubeObject } from '../helpers/manifests/render.ts';

const policyFile = join(MANIFESTS, 'admission', 'pod-routing-policy.yaml');
const webhookFile = join(MANIFESTS, 'admission', 'pod-routing-webhook.yaml');
const [policy, binding] = (await loadObjects(policyFile)).map((o) => o.object);
const [webhookConfig] = (await loadObjects(webhookFile)).map((o) => o.object);

function at(o: unknown, ...path: (string | number)[]): unknown {
  let v = o;
  for (const k of path) v = Array.isArray(v) ? v[k as number] : isRecord(v) ? v[k as string] : undefined;
  return v;
}

function conditions(o: unknown): Map<string, string> {
  const list = Array.isArray(o) ? o : [];
  return new Map(list.filter(isRecord).map((c) => [String(c['name']), String(c['expression'])]));
}

/** Every `['…', '…']` list of berth.io keys in a CEL expression. */
function annotationLists(expression: string): string[][] {
  return [...expression.matchAll(/\[((?:'berth\.io\/[a-z-]+',?\s*)+)\]/g)].map((m) =>
    [...(m[1] ?? '').matchAll(/'([^']+)'/g)].map((x) => x[1] ?? ''),
  );
}

const EXCLUDED = ['kube-system', 'berth-system', 'berth-agent'];

t.test('the policy and the webhook name the annotations and the marker of lib/cluster/routing.ts', async (t) => {
  const hook = at(webhookConfig, 'webhooks', 0);
  for (const [what, conds] of [
    ['policy', conditions(at(policy, 'spec', 'matchConditions'))],
    ['webhook', conditions(at(hook, 'matchConditions'))],
  ] as const) {
    const lists = [...conds.values()].flatMap(annotationLists);
    t.equal(lists.length, 1, `${what}: one annotation list`);
    t.same([...(lists[0] ?? [])].sort(), [...NEED_ANNOTATIONS].sort(), `${what}: exactly the need annotations`);
    const unmarked = conds.get('not-yet-marked') ?? '';
    t.equal(unmarked.split(`'${MARKER}' in`).length - 1, 4, `${what}: the marker checked in limits and requests`);
    t.match(unmarked, /initContainers/, `${what}: init containers included`);
    t.match(conds.get('not-yet-bound') ?? '', /nodeName/, `${what}: bound pods skipped`);
  }
  const mutation = String(at(policy, 'spec', 'mutations', 0, 'applyConfiguration', 'expression'));
  t.equal(mutation.split(`'${MARKER}': '1'`).length - 1, 2, 'the policy sets the marker as limit and request');
  t.match(
    conditions(at(hook, 'matchConditions')).get('may-need-berth') ?? '',
    /persistentVolumeClaim/,
    'the webhook also sees pods that mount a claim (CEL cannot read its class; berth can)',
  );
});

t.test('neither can block a pod: failure ignored, CREATE of pods only, berth and kube-system excluded', async (t) => {
  const hook = at(webhookConfig, 'webhooks', 0);
  t.equal(at(policy, 'spec', 'failurePolicy'), 'Ignore', 'policy: failurePolicy Ignore');
  t.equal(at(hook, 'failurePolicy'), 'Ignore', 'webhook: failurePolicy Ignore');
  const timeout = Number(at(hook, 'timeoutSeconds'));
  t.ok(timeout >= 1 && timeout <= 5, `webhook: a short timeout (${timeout} s, default would be 10)`);
  t.equal(at(hook, 'sideEffects'), 'None', 'webhook: no side effects, so dry runs call it');
  t.same(at(hook, 'admissionReviewVersions'), ['v1'], 'webhook: the one AdmissionReview version berth reads');
  for (const [what, rules, selector] of [
    [
      'policy',
      at(policy, 'spec', 'matchConstraints', 'resourceRules'),
      at(policy, 'spec', 'matchConstraints', 'namespaceSelector'),
    ],
    ['webhook', at(hook, 'rules'), at(hook, 'namespaceSelector')],
  ] as const) {
    t.same(at(rules, 0, 'operations'), ['CREATE'], `${what}: CREATE only`);
    t.same(at(rules, 0, 'resources'), ['pods'], `${what}: pods only`);
    t.same(
      at(selector, 'matchExpressions'),
      [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: EXCLUDED }],
      `${what}: excludes ${EXCLUDED.join(', ')}`,
    );
  }
  t.equal(at(binding, 'spec', 'policyName'), at(policy, 'metadata', 'name'), 'the binding binds the policy');
});

t.test('the webhook calls the extender Service on its verbs port, at the path berth serves', async (t) => {
  const core = await renderKustomization(MANIFESTS);
  const find = (kind: string, name: string): KubeObject | undefined =>
    core.objects.map((o) => o.object).find((o) => o.kind === kind && o.metadata['name'] === name);
  const service = at(webhookConfig, 'webhooks', 0, 'clientConfig', 'service') as Record<string, unknown>;
  const svc = find('Service', String(service['name']));
  t.ok(svc, `Service ${String(service['name'])} ships in the core`);
  t.equal(at(svc, 'metadata', 'namespace'), service['namespace'], 'in the same namespace');
  const verbs = (at(svc, 'spec', 'ports') as { name: string; port: number }[]).find((p) => p.name === 'verbs');
  t.equal(service['port'], verbs?.port, 'on the verbs port (mTLS, the same listener as the scheduler verbs)');
  t.equal(service['path'], ADMISSION_PATH, `at ${ADMISSION_PATH}`);
  for (const file of ['admission/pod-routing-policy.yaml', 'admission/pod-routing-webhook.yaml'])
    t.ok(
      core.objects.some((o) => o.source.startsWith(`manifests/${file}`)),
      `${file} is in the core kustomization`,
    );
});
