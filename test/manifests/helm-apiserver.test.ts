/**
 * The chart's output against a real kube-apiserver v1.36 (the e2e control plane): `helm template` with default
 * values and with every switch on, each object server-side applied with dryRun=All and fieldValidation=Strict, so
 * admission and validation run and nothing is kept (as apiserver-apply.test.ts does for manifests/). Namespaces and
 * the CRD are created for real first. Objects of APIs a plain cluster lacks (Prometheus Operator, cert-manager)
 * are listed and must be exactly those.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { e2eGate, startControlPlane } from '../e2e/harness/control-plane.ts';
import { ApiClient, failureMessage } from '../helpers/manifests/apiserver.ts';
import { helmGate, renderChart } from '../helpers/manifests/helm.ts';
import { describe, isRecord, type KubeObject } from '../helpers/manifests/render.ts';
import { FULL_VALUES } from './helm-values.ts';

t.setTimeout(240_000);
const gate = e2eGate(t);
const helmAvailable = helmGate(t);

async function established(api: ApiClient, crd: KubeObject): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await api.get(crd);
    const status = isRecord(res.body) ? res.body['status'] : undefined;
    const conditions = isRecord(status) && Array.isArray(status['conditions']) ? status['conditions'] : [];
    if (conditions.some((c) => isRecord(c) && c['type'] === 'Established' && c['status'] === 'True')) return;
    await sleep(100);
  }
  throw new Error(`${describe(crd)} never became Established`);
}

if (gate.skip !== false) t.plan(0, gate.skip);
else if (helmAvailable.skip !== false) t.plan(0, helmAvailable.skip);
else {
  const helm = helmAvailable.helm;
  t.test('the rendered chart applies to a real API server', async (t) => {
    const cp = await startControlPlane(t);
    const api = new ApiClient(cp.server, cp.pki.caPem, cp.token());
    const dir = t.testdir();
    const renders: [string, KubeObject[], string[]][] = [
      ['default values', await renderChart(helm, dir), []],
      [
        'every switch on',
        await renderChart(helm, dir, FULL_VALUES),
        ['cert-manager.io/v1 Certificate', 'cert-manager.io/v1 Issuer', 'monitoring.coreos.com/v1 ServiceMonitor'],
      ],
    ];
    for (const o of renders[1]?.[1] ?? []) {
      if (o.kind !== 'Namespace' && o.kind !== 'CustomResourceDefinition') continue;
      const res = await api.apply(o, { dryRun: false });
      t.equal(res.status, 201, `${describe(o)} created`);
      if (o.kind === 'CustomResourceDefinition') {
        await established(api, o);
        api.forget('berth.io/v1alpha1');
      }
    }
    for (const [what, objects, expectUnserved] of renders) {
      const unserved = new Set<string>();
      for (const o of objects) {
        if ((await api.resourceFor(o.apiVersion, o.kind)) === null) {
          unserved.add(`${o.apiVersion} ${o.kind}`);
          continue;
        }
        const res = await api.apply(o, { dryRun: true });
        t.ok(res.status < 300, `${what}: ${describe(o)}: ${res.status < 300 ? 'accepted' : failureMessage(res)}`);
        t.same(res.warnings, [], `${what}: ${describe(o)}: no warnings`);
      }
      t.same([...unserved].sort(), expectUnserved, `${what}: only these were not applied (their CRDs are not here)`);
    }
  });
}
