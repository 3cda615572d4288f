/**
 * Loads the shipped manifests the way a user applies them: YAML files (every document, with its line), and
 * `kubectl apply -k` directories rendered by a small kustomize for exactly the features berth's kustomizations use
 * (resources, configMapGenerator without hash suffixes, images). Anything else in a kustomization.yaml is refused,
 * so a feature added there without teaching this renderer fails the tests instead of being silently ignored.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const MANIFESTS = join(REPO, 'manifests');

export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
};

export interface LoadedObject {
  /** Where the object comes from, e.g. "manifests/extender/deployment.yaml:14" or "configMapGenerator berth-dashboards". */
  readonly source: string;
  readonly object: KubeObject;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asKubeObject(v: unknown, where: string): KubeObject {
  if (
    !isRecord(v) ||
    typeof v['apiVersion'] !== 'string' ||
    typeof v['kind'] !== 'string' ||
    !isRecord(v['metadata'])
  ) {
    throw new Error(`${where}: not a Kubernetes object (apiVersion, kind and metadata are required)`);
  }
  return v as KubeObject;
}

/** Every document of a YAML file; a syntax error, a duplicate key or a warning is an error. Empty documents are skipped. */
export async function loadYamlDocuments(path: string): Promise<{ line: number; value: unknown }[]> {
  const text = await readFile(path, 'utf8');
  const out: { line: number; value: unknown }[] = [];
  for (const doc of parseAllDocuments(text, { prettyErrors: true, strict: true, uniqueKeys: true })) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${relative(REPO, path)}: ${problems.map((p) => p.message).join('; ')}`);
    const value: unknown = doc.toJS({ maxAliasCount: 0 });
    if (value === null || value === undefined) continue;
    const offset = doc.range[0];
    out.push({ line: text.slice(0, offset).split('\n').length, value });
  }
  return out;
}

export async function loadObjects(path: string): Promise<LoadedObject[]> {
  const docs = await loadYamlDocuments(path);
  return docs.map(({ line, value }) => {
    const source = `${relative(REPO, path)}:${line}`;
    return { source, object: asKubeObject(value, source) };
  });
}

const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'resources', 'configMapGenerator', 'images']);
const GENERATOR_KEYS = new Set(['name', 'namespace', 'files', 'options']);
const GENERATOR_OPTION_KEYS = new Set(['disableNameSuffixHash', 'labels', 'annotations']);
const IMAGE_KEYS = new Set(['name', 'newName', 'newTag']);

function onlyKeys(v: Record<string, unknown>, allowed: ReadonlySet<string>, where: string): void {
  const extra = Object.keys(v).filter((k) => !allowed.has(k));
  if (extra.length > 0)
    throw new Error(
      `${where}: ${extra.join(', ')} not supported by test/manifests/render.ts; teach it or drop the field`,
    );
}

function stringList(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new Error(`${where}: must be a list of strings`);
  return v;
}

function stringMap(v: unknown, where: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isRecord(v) || !Object.values(v).every((x) => typeof x === 'string'))
    throw new Error(`${where}: must map strings to strings`);
  return v as Record<string, string>;
}

export interface ImageRule {
  readonly name: string;
  readonly newName: string;
  readonly newTag: string;
}

export interface Rendered {
  readonly objects: LoadedObject[];
  readonly images: ImageRule[];
}

/** `kustomize build dir`, for the subset documented above. */
export async function renderKustomization(dir: string): Promise<Rendered> {
  const file = join(dir, 'kustomization.yaml');
  const where = relative(REPO, file);
  const [doc, ...more] = await loadYamlDocuments(file);
  if (doc === undefined || more.length > 0 || !isRecord(doc.value))
    throw new Error(`${where}: must hold exactly one mapping`);
  const k = doc.value;
  onlyKeys(k, KUSTOMIZATION_KEYS, where);
  if (k['apiVersion'] !== 'kustomize.config.k8s.io/v1beta1' || k['kind'] !== 'Kustomization')
    throw new Error(`${where}: not a kustomize.config.k8s.io/v1beta1 Kustomization`);
  const objects: LoadedObject[] = [];
  const images: ImageRule[] = [];
  for (const entry of stringList(k['resources'] ?? [], `${where} resources`)) {
    const path = resolve(dir, entry);
    if (!path.startsWith(dir)) throw new Error(`${where}: resource ${entry} is outside the kustomization root`);
    if ((await stat(path)).isDirectory()) {
      const inner = await renderKustomization(path);
      objects.push(...inner.objects);
      images.push(...inner.images);
    } else {
      objects.push(...(await loadObjects(path)));
    }
  }
  for (const [i, g] of (Array.isArray(k['configMapGenerator']) ? k['configMapGenerator'] : []).entries()) {
    const gw = `${where} configMapGenerator[${i}]`;
    if (!isRecord(g)) throw new Error(`${gw}: must be a mapping`);
    onlyKeys(g, GENERATOR_KEYS, gw);
    const options = isRecord(g['options']) ? g['options'] : {};
    onlyKeys(options, GENERATOR_OPTION_KEYS, `${gw}.options`);
    if (options['disableNameSuffixHash'] !== true)
      throw new Error(`${gw}: name suffix hashes are not rendered here; set options.disableNameSuffixHash: true`);
    const data: Record<string, string> = {};
    for (const f of stringList(g['files'], `${gw}.files`)) {
      const path = resolve(dir, f);
      if (!path.startsWith(dir))
        throw new Error(`${gw}: ${f} is outside the kustomization root (kustomize refuses it)`);
      data[basename(f)] = await readFile(path, 'utf8');
    }
    const metadata: Record<string, unknown> = {
      name: g['name'],
      labels: stringMap(options['labels'], `${gw}.options.labels`),
    };
    if (typeof g['namespace'] === 'string') metadata['namespace'] = g['namespace'];
    const annotations = stringMap(options['annotations'], `${gw}.options.annotations`);
    if (Object.keys(annotations).length > 0) metadata['annotations'] = annotations;
    objects.push({
      source: `${gw} (${String(g['name'])})`,
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata, data },
    });
  }
  for (const [i, img] of (Array.isArray(k['images']) ? k['images'] : []).entries()) {
    const iw = `${where} images[${i}]`;
    if (!isRecord(img)) throw new Error(`${iw}: must be a mapping`);
    onlyKeys(img, IMAGE_KEYS, iw);
    const { name, newName, newTag } = img;
    if (typeof name !== 'string' || typeof newName !== 'string' || typeof newTag !== 'string')
      throw new Error(`${iw}: name, newName and newTag are required strings`);
    images.push({ name, newName, newTag });
  }
  for (const o of objects) applyImages(o.object, images);
  return { objects, images };
}

/** The containers of a workload or pod, wherever they sit. */
export function podSpecOf(o: KubeObject): Record<string, unknown> | null {
  if (o.kind === 'Pod') return isRecord(o['spec']) ? o['spec'] : null;
  const spec = o['spec'];
  const template = isRecord(spec) ? spec['template'] : undefined;
  return isRecord(template) && isRecord(template['spec']) ? template['spec'] : null;
}

export function containersOf(o: KubeObject): Record<string, unknown>[] {
  const pod = podSpecOf(o);
  if (pod === null) return [];
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
  return [...list(pod['initContainers']), ...list(pod['containers'])].filter(isRecord);
}

function applyImages(o: KubeObject, rules: readonly ImageRule[]): void {
  for (const c of containersOf(o)) {
    const image = c['image'];
    if (typeof image !== 'string') continue;
    const rule = rules.find((r) => r.name === image.replace(/[:@].*$/, ''));
    if (rule) c['image'] = `${rule.newName}:${rule.newTag}`;
  }
}

/** Everything berth ships under manifests/: the two kustomizations and the stand-alone files. */
export async function loadShippedManifests(): Promise<{
  core: Rendered;
  monitoring: Rendered;
  standalone: LoadedObject[];
}> {
  const core = await renderKustomization(MANIFESTS);
  const monitoring = await renderKustomization(join(MANIFESTS, 'monitoring'));
  const standalone = [
    ...(await loadObjects(join(MANIFESTS, 'scheduler', 'second-scheduler.yaml'))),
    ...(await loadObjects(join(MANIFESTS, 'examples', 'statefulset-opt-in.yaml'))),
  ];
  return { core, monitoring, standalone };
}

export function describe(o: KubeObject): string {
  const ns = typeof o.metadata['namespace'] === 'string' ? `${o.metadata['namespace']}/` : '';
  return `${o.kind} ${ns}${String(o.metadata['name'])}`;
}
