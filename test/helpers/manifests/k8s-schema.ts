/**
 * Offline validation against the Kubernetes OpenAPI schemas compiled into kubernetes-models (about 1.34) and
 * @kubernetes-models/prometheus-operator. Those validators do not reject unknown fields (`replicaz: 3` passes), so
 * unknownFields() probes every key with the same validator: a key is known when replacing its value with something
 * no schema accepts (a function) makes the validator complain at exactly that path. A misspelt key draws no
 * complaint, because no schema looks at it.
 */
import type { KubeObject } from './render.ts';
import { isRecord } from './render.ts';

interface ModelClass {
  new (data: Record<string, unknown>): { validate(): void };
}

interface SchemaError {
  readonly instancePath: string;
  readonly message?: string;
}

/** apiVersion → the module folder that holds its kinds. */
function modulePath(apiVersion: string, kind: string): string | null {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (version === undefined) return null;
  if (group === 'monitoring.coreos.com') return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  if (group === '') return `kubernetes-models/${version}/${kind}`;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

export async function modelFor(o: KubeObject): Promise<ModelClass | null> {
  const path = modulePath(o.apiVersion, o.kind);
  if (path === null) return null;
  try {
    const mod = (await import(path)) as Record<string, unknown>;
    const cls = mod[o.kind];
    return typeof cls === 'function' ? (cls as ModelClass) : null;
  } catch {
    return null;
  }
}

function schemaErrors(model: ModelClass, data: Record<string, unknown>): SchemaError[] {
  try {
    new model(data).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) throw e;
    return errors.filter((x): x is SchemaError => isRecord(x) && typeof x['instancePath'] === 'string');
  }
}

/** Schema violations, as "path message" lines; empty when the object is valid. */
export function schemaProblems(model: ModelClass, o: KubeObject): string[] {
  return schemaErrors(model, o).map(
    (e) => `${e.instancePath === '' ? '/' : e.instancePath} ${e.message ?? 'is invalid'}`,
  );
}

const pointerPart = (k: string): string => k.replaceAll('~', '~0').replaceAll('/', '~1');

function probe(): void {
  // no schema accepts a function: not a string, number, boolean, object or array
}

/** Keys the schema does not know, as JSON pointers. Free-form maps (labels, data) count as known: their values are typed. */
export function unknownFields(model: ModelClass, o: KubeObject): string[] {
  const unknown: string[] = [];
  const clone = structuredClone(o) as Record<string, unknown>;
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        walk(item, `${path}/${i}`);
      });
      return;
    }
    if (!isRecord(node)) return;
    for (const key of Object.keys(node)) {
      const keyPath = `${path}/${pointerPart(key)}`;
      const saved = node[key];
      node[key] = probe;
      const hit = schemaErrors(model, clone).some(
        (e) => e.instancePath === keyPath || e.instancePath.startsWith(`${keyPath}/`),
      );
      node[key] = saved;
      if (!hit) unknown.push(keyPath);
      else walk(saved, keyPath);
    }
  };
  walk(clone, '');
  return unknown;
}
