/**
 * Every shipped manifest against a real kube-apiserver (the e2e control plane): server-side apply with dryRun=All
 * and fieldValidation=Strict, so every admission step and the apiserver's own validation run but nothing is kept.
 * The namespaces and the CRD are created for real first, so namespaced objects and custom kinds resolve. Objects
 * whose API the apiserver does not serve (the Prometheus Operator's ServiceMonitor) are listed in the output and
 * must be exactly those expected. Then the Pod Security claims: the extender's and the second scheduler's pods are
 * admitted under `restricted`, the agent's pod under `privileged` and refused under `restricted`.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { e2eGate, startControlPlane } from '../e2e/harness/control-plane.ts';
import { join } from 'node:path';
import { ApiClient, failureMessage } from '../helpers/manifests/apiserver.ts';
import { generateCerts, opensslVersion } from '../helpers/manifests/berth-tls.ts';
import {
  describe,
  isRecord,
  loadObjects,
  loadShippedManifests,
  podSpecOf,
  type KubeObject,
  type LoadedObject,
} from '../helpers/manifests/render.ts';

t.setTimeout(240_000);
const gate = e2eGate(t);
/** APIs a plain cluster does not have; their objects are only validated offline (manifests-schema.test.ts). */
const EXPECTED_UNSERVED = new Set(['monitoring.coreos.com/v1 ServiceMonitor']);

async function waitForCrd(api: ApiClient, crd: KubeObject): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await api.get(crd);
    const conditions =
      isRecord(res.body) && isRecord(res.body['status']) && Array.isArray(res.body['status']['conditions'])
        ? res.body['status']['conditions']
        : [];
    if (conditions.some((c) => isRecord(c) && c['type'] === 'Established' && c['status'] === 'True')) return;
    await sleep(100);
  }
  throw new Error(`${describe(crd)} never became Established`);
}

function podFrom(workload: KubeObject, namespace: string): KubeObject {
  const spec = podSpecOf(workload);
  if (spec === null) throw new Error(`${describe(workload)} has no pod template`);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pss-${String(workload.metadata['name'])}`, namespace },
    spec,
  };
}

// Without the binaries (or openssl) the whole file is one skip line; under BERTH_E2E_REQUIRED=1 the gate has failed it.
if (gate.skip !== false) t.plan(0, gate.skip);
else {
  t.test('the shipped manifests apply to a real apiserver', async (t) => {
    const cp = await startControlPlane(t);
    const api = new ApiClient(cp.server, cp.pki.caPem, cp.token());
    const shipped = await loadShippedManifests();
    const all: LoadedObject[] = [...shipped.core.objects, ...shipped.monitoring.objects, ...shipped.standalone];

    // Created for real: namespaced objects need their namespace, custom kinds need their CRD.
    for (const { object } of all.filter(
      (o) => o.object.kind === 'Namespace' || o.object.kind === 'CustomResourceDefinition',
    )) {
      const res = await api.apply(object, { dryRun: false });
      t.equal(res.status, 201, `${describe(object)} created: ${res.status === 201 ? 'ok' : failureMessage(res)}`);
      if (object.kind === 'CustomResourceDefinition') {
        await waitForCrd(api, object);
        const spec = object['spec'] as { group: string; versions: { name: string }[] };
        for (const v of spec.versions) api.forget(`${spec.group}/${v.name}`);
      }
    }

    const unserved: string[] = [];
    for (const { source, object } of all) {
      if ((await api.resourceFor(object.apiVersion, object.kind)) === null) {
        unserved.push(`${object.apiVersion} ${object.kind}`);
        t.comment(
          `not applied (the apiserver does not serve ${object.apiVersion} ${object.kind}; its CRD belongs to the Prometheus Operator): ${source} ${describe(object)}`,
        );
        continue;
      }
      const res = await api.apply(object, { dryRun: true });
      t.ok(
        res.status === 200 || res.status === 201,
        `${source} ${describe(object)}: server-side apply, dry run: ${res.status < 300 ? 'accepted' : failureMessage(res)}`,
      );
      t.same(res.warnings, [], `${describe(object)}: no warnings (unknown fields, deprecated APIs, PodSecurity)`);
    }
    t.same(
      [...new Set(unserved)].sort(),
      [...EXPECTED_UNSERVED].sort(),
      'only the ServiceMonitors were left out, and they were',
    );

    // The Secrets scripts/gen-certs.sh writes, which the Deployments mount.
    if ((await opensslVersion()) === null) {
      t.fail(
        'openssl is missing, so the Secret manifests from scripts/gen-certs.sh could not be generated and applied',
      );
      return;
    }
    const certs = await generateCerts(t.testdir());
    for (const name of ['berth-extender-tls', 'berth-scheduler-client-tls']) {
      for (const { source, object } of await loadObjects(join(certs.dir, 'secrets', `${name}.yaml`))) {
        const res = await api.apply(object, { dryRun: true });
        t.equal(
          res.status,
          201,
          `gen-certs.sh ${source.replace(/^.*secrets\//, 'secrets/')}: ${describe(object)} ${res.status < 300 ? 'accepted' : failureMessage(res)}`,
        );
      }
    }
  });

  t.test('Pod Security: what the namespaces enforce, on a real apiserver', async (t) => {
    const cp = await startControlPlane(t);
    const api = new ApiClient(cp.server, cp.pki.caPem, cp.token());
    const shipped = await loadShippedManifests();
    const objects = [...shipped.core.objects, ...shipped.standalone].map((o) => o.object);
    for (const ns of objects.filter((o) => o.kind === 'Namespace')) {
      const res = await api.apply(ns, { dryRun: false });
      t.equal(res.status, 201, `${describe(ns)} created`);
    }
    // A namespace of the test's own, labelled restricted, independent of how berth-system is labelled.
    const restrictedNs: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'pss-restricted-check', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    };
    t.equal((await api.apply(restrictedNs, { dryRun: false })).status, 201, 'a restricted test namespace exists');

    const workload = (kind: string, name: string): KubeObject => {
      const o = objects.find((x) => x.kind === kind && x.metadata['name'] === name);
      if (o === undefined) throw new Error(`no ${kind} ${name}`);
      return o;
    };
    const extender = workload('Deployment', 'berth-extender');
    const scheduler = workload('Deployment', 'berth-scheduler');
    const agent = workload('DaemonSet', 'berth-agent');

    for (const [w, ns] of [
      [extender, 'pss-restricted-check'],
      [scheduler, 'pss-restricted-check'],
      [extender, 'berth-system'],
      [scheduler, 'berth-system'],
      [agent, 'berth-agent'],
    ] as const) {
      const res = await api.createDryRun(podFrom(w, ns));
      t.equal(
        res.status,
        201,
        `${describe(w)}'s pod is admitted in ${ns}: ${res.status === 201 ? 'ok' : failureMessage(res)}`,
      );
    }
    // The control: enforcement is live, so the agent's host access is refused where restricted applies.
    for (const ns of ['pss-restricted-check', 'berth-system']) {
      const refused = await api.createDryRun(podFrom(agent, ns));
      t.equal(refused.status, 403, `the agent's pod is refused in ${ns}`);
      t.match(
        failureMessage(refused),
        /violates PodSecurity "restricted:latest".*host namespaces \(hostNetwork=true\).*volume type "hostPath"/s,
        'because of hostNetwork and hostPath, as documented',
      );
    }
  });
}
