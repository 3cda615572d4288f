/**
 * Every shipped manifest parses and validates offline against the Kubernetes schemas, carries no field the schema
 * does not know, and hangs together: unique objects, namespaces that exist, ServiceAccounts that exist, one place
 * for the berth image, ServiceMonitors that find their Services, dashboards that all reach the ConfigMap.
 */
import t from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { kubernetesVersion } from '../e2e/harness/binaries.ts';
import { modelFor, schemaProblems, unknownFields } from '../helpers/manifests/k8s-schema.ts';
import {
  containersOf,
  describe,
  isRecord,
  loadShippedManifests,
  loadYamlDocuments,
  MANIFESTS,
  podSpecOf,
  REPO,
  type LoadedObject,
} from '../helpers/manifests/render.ts';

const shipped = await loadShippedManifests();
const all: LoadedObject[] = [...shipped.core.objects, ...shipped.monitoring.objects, ...shipped.standalone];
/** Files other engineers own (CRD, RBAC, admission policy): schema-checked here, field-probed by their own tests. */
const theirs = (source: string): boolean => /^manifests\/(crd|rbac|admission)\//.test(source);
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
  'MutatingWebhookConfiguration',
  'PriorityClass',
]);

t.test('every object validates against its Kubernetes schema and has no unknown field', async (t) => {
  t.ok(all.length >= 15, `found ${all.length} objects`);
  for (const { source, object } of all) {
    const model = await modelFor(object);
    if (model === null) {
      t.fail(`${source}: no schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    t.same(schemaProblems(model, object), [], `${source} ${describe(object)} is schema-valid`);
    if (!theirs(source))
      t.same(unknownFields(model, object), [], `${source} ${describe(object)} has no unknown fields`);
  }
});

t.test('the unknown-field probe catches misspelt fields', async (t) => {
  const deployment = all.find((o) => o.object.kind === 'Deployment')?.object;
  if (deployment === undefined) throw new Error('no Deployment shipped');
  const broken = structuredClone(deployment);
  (broken['spec'] as Record<string, unknown>)['replicaz'] = 3;
  const model = await modelFor(broken);
  t.same(model === null ? [] : unknownFields(model, broken), ['/spec/replicaz'], 'replicaz is reported, nothing else');
});

t.test('objects are unique, named, and namespaced explicitly', async (t) => {
  const keys = all.map(
    ({ object: o }) =>
      `${o.apiVersion.split('/')[0] ?? ''}/${o.kind}/${typeof o.metadata['namespace'] === 'string' ? o.metadata['namespace'] : ''}/${String(o.metadata['name'])}`,
  );
  t.same(
    keys.filter((k, i) => keys.indexOf(k) !== i),
    [],
    'no object is defined twice',
  );
  const namespaces = new Set(
    shipped.core.objects.filter((o) => o.object.kind === 'Namespace').map((o) => String(o.object.metadata['name'])),
  );
  t.same([...namespaces].sort(), ['berth-agent', 'berth-system'], 'the core creates berth-system and berth-agent');
  for (const { source, object } of all) {
    const ns = object.metadata['namespace'];
    if (CLUSTER_SCOPED.has(object.kind)) {
      t.equal(ns, undefined, `${source} ${describe(object)} is cluster-scoped`);
      continue;
    }
    // Namespaced objects name their namespace, so `kubectl apply` never drops them into the current context's.
    t.type(ns, 'string', `${source} ${describe(object)} names its namespace`);
    const known =
      namespaces.has(String(ns)) ||
      (ns === 'kube-system' && object.kind === 'RoleBinding') ||
      source.startsWith('manifests/examples/');
    t.ok(known, `${source} ${describe(object)} lives in a namespace berth creates (${String(ns)})`);
  }
});

t.test('every workload runs as a ServiceAccount that the manifests define in its namespace', async (t) => {
  const accounts = new Set(
    all
      .filter((o) => o.object.kind === 'ServiceAccount')
      .map((o) => `${String(o.object.metadata['namespace'])}/${String(o.object.metadata['name'])}`),
  );
  for (const { source, object } of all) {
    const pod = podSpecOf(object);
    if (pod === null || source.startsWith('manifests/examples/')) continue;
    const sa = `${String(object.metadata['namespace'])}/${String(pod['serviceAccountName'])}`;
    t.ok(accounts.has(sa), `${describe(object)} uses ServiceAccount ${sa}, defined by the manifests`);
  }
});

t.test('the berth image is named in one place: manifests/kustomization.yaml', async (t) => {
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
  t.equal(shipped.core.images.length, 1, 'one image rule');
  const rule = shipped.core.images[0];
  t.equal(rule?.name, 'berth', 'the rule rewrites the placeholder "berth"');
  t.equal(rule?.newTag, pkg.version, 'the tag is the package version');
  const rawImages: string[] = [];
  for (const file of ['extender/deployment.yaml', 'agent/daemonset.yaml']) {
    for (const { value } of await loadYamlDocuments(join(MANIFESTS, file))) {
      if (isRecord(value)) rawImages.push(...containersOf(value as never).map((c) => String(c['image'])));
    }
  }
  t.same(rawImages, ['berth', 'berth'], 'the workload files say only "berth"');
  const rendered = shipped.core.objects.flatMap((o) => containersOf(o.object)).map((c) => c['image']);
  t.same(
    rendered,
    [`${rule?.newName ?? ''}:${pkg.version}`, `${rule?.newName ?? ''}:${pkg.version}`],
    'kustomize renders the full image name',
  );
  const scheduler = shipped.standalone
    .flatMap((o) => containersOf(o.object))
    .find((c) => c['name'] === 'kube-scheduler');
  t.equal(
    scheduler?.['image'],
    `registry.k8s.io/kube-scheduler:${kubernetesVersion()}`,
    'the second scheduler runs the release the e2e tests run',
  );
});

t.test('ServiceMonitors select a Service that has their port', async (t) => {
  const services = shipped.core.objects.filter((o) => o.object.kind === 'Service').map((o) => o.object);
  const monitors = shipped.monitoring.objects.filter((o) => o.object.kind === 'ServiceMonitor').map((o) => o.object);
  t.equal(monitors.length, 2, 'one for the extender, one for the agents');
  for (const m of monitors) {
    const spec = m['spec'] as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
    const match = services.filter(
      (s) =>
        s.metadata['namespace'] === m.metadata['namespace'] &&
        Object.entries(spec.selector.matchLabels).every(
          ([k, v]) => (s.metadata['labels'] as Record<string, string>)[k] === v,
        ),
    );
    t.equal(match.length, 1, `${describe(m)} selects exactly one Service`);
    const ports = ((match[0]?.['spec'] as { ports?: { name: string }[] } | undefined)?.ports ?? []).map((p) => p.name);
    for (const e of spec.endpoints)
      t.ok(ports.includes(e.port), `${describe(m)} scrapes port ${e.port}, which the Service has`);
  }
});

t.test('the dashboards ConfigMap carries every dashboard file, within the size limits', async (t) => {
  const cm = shipped.monitoring.objects.find((o) => o.object.kind === 'ConfigMap')?.object;
  if (cm === undefined) throw new Error('no dashboards ConfigMap generated');
  t.equal(
    (cm.metadata['labels'] as Record<string, string>)['grafana_dashboard'],
    '1',
    'labelled for the Grafana sidecar',
  );
  const dir = join(MANIFESTS, 'monitoring', 'dashboards');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const data = cm['data'] as Record<string, string>;
  t.same(Object.keys(data).sort(), files, `every file in ${relative(REPO, dir)} is in the ConfigMap`);
  for (const f of files) t.equal(data[f], await readFile(join(dir, f), 'utf8'), `${f} is carried byte for byte`);
  const bytes = Buffer.byteLength(JSON.stringify(cm));
  t.ok(bytes < 1024 * 1024, `${bytes} bytes, under the 1 MiB object limit`);
  // Client-side apply copies the object into an annotation limited to 256 KiB; docs/deploy.md says --server-side anyway.
  t.ok(bytes < 256 * 1024, `${bytes} bytes, under the 256 KiB last-applied annotation limit`);
});

t.test('the renderer refuses kustomize features it does not implement', async (t) => {
  const { renderKustomization } = await import('../helpers/manifests/render.ts');
  const dir = t.testdir({
    'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: x\n',
  });
  await t.rejects(
    renderKustomization(dir),
    /namespace not supported/,
    'an unsupported transformer is an error, not ignored',
  );
});

t.test('no number that YAML 1.1 (kubectl) and YAML 1.2 (these tests) read differently', async (t) => {
  const files = (await readdir(MANIFESTS, { recursive: true })).filter((f) => f.endsWith('.yaml'));
  for (const f of files) {
    const text = await readFile(join(MANIFESTS, f), 'utf8');
    // 0440 is octal (288) to kubectl's go-yaml and decimal 440 to YAML 1.2; write such modes in decimal.
    const ambiguous = text.split('\n').filter((l) => /:\s+0[0-9]+\s*(#.*)?$/.test(l) && !l.trimStart().startsWith('#'));
    t.same(ambiguous, [], `manifests/${f}`);
  }
});
