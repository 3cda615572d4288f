/**
 * A small REST client for the e2e apiserver: server-side apply with dryRun=All and fieldValidation=Strict (client-node's
 * KubernetesObjectApi cannot ask for Strict, and without it unknown fields are only warned about), the response's
 * Warning headers (where PodSecurity's "would violate" notes arrive), and discovery to map a kind to its resource.
 */
import { request } from 'node:https';
import type { KubeObject } from './render.ts';
import { isRecord } from './render.ts';

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly warnings: readonly string[];
}

export interface ResourceInfo {
  readonly plural: string;
  readonly namespaced: boolean;
}

export class ApiClient {
  readonly #server: URL;
  readonly #ca: string;
  readonly #token: string;
  readonly #discovery = new Map<string, (ResourceInfo & { kind: string })[] | null>();

  constructor(server: string, caPem: string, token: string) {
    this.#server = new URL(server);
    this.#ca = caPem;
    this.#token = token;
  }

  send(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#server.hostname,
          port: this.#server.port,
          path,
          method,
          ca: this.#ca,
          timeout: 30_000,
          headers: {
            authorization: `Bearer ${this.#token}`,
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': contentType }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              /* not JSON: keep the text */
            }
            const raw = res.headers.warning;
            const list: string[] = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
            const warnings = list.map((w) => w.replace(/^299 - "?|"$/g, ''));
            resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
          });
        },
      );
      req.on('timeout', () => {
        req.destroy(new Error(`${method} ${path} timed out`));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The resource serving apiVersion/kind, or null when the apiserver does not know the group, version or kind. */
  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo | null> {
    if (!this.#discovery.has(apiVersion)) {
      const res = await this.send('GET', apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
      const list =
        res.status === 200 && isRecord(res.body) && Array.isArray(res.body['resources']) ? res.body['resources'] : null;
      const resources = list
        ?.filter(isRecord)
        .map((r) => ({ plural: String(r['name']), namespaced: r['namespaced'] === true, kind: String(r['kind']) }));
      // Subresources (pods/status) share the kind; only the plain resource is wanted.
      this.#discovery.set(apiVersion, resources?.filter((r) => !r.plural.includes('/')) ?? null);
    }
    const found = this.#discovery.get(apiVersion)?.find((r) => r.kind === kind);
    return found === undefined ? null : { plural: found.plural, namespaced: found.namespaced };
  }

  forget(apiVersion: string): void {
    this.#discovery.delete(apiVersion);
  }

  async #path(o: KubeObject): Promise<{ collection: string; item: string }> {
    const info = await this.resourceFor(o.apiVersion, o.kind);
    if (info === null) throw new Error(`the apiserver does not serve ${o.apiVersion} ${o.kind}`);
    const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    const ns = typeof o.metadata['namespace'] === 'string' ? o.metadata['namespace'] : 'default';
    const collection = `${base}${info.namespaced ? `/namespaces/${ns}` : ''}/${info.plural}`;
    return { collection, item: `${collection}/${encodeURIComponent(String(o.metadata['name']))}` };
  }

  /** Server-side apply; dryRun leaves nothing behind but runs every admission step. */
  async apply(o: KubeObject, opts: { dryRun: boolean }): Promise<ApiResponse> {
    const { item } = await this.#path(o);
    const query = `fieldManager=berth-manifests-test&force=true&fieldValidation=Strict${opts.dryRun ? '&dryRun=All' : ''}`;
    return this.send('PATCH', `${item}?${query}`, o, 'application/apply-patch+yaml');
  }

  async createDryRun(o: KubeObject): Promise<ApiResponse> {
    const { collection } = await this.#path(o);
    return this.send('POST', `${collection}?dryRun=All&fieldValidation=Strict`, o);
  }

  async get(o: KubeObject): Promise<ApiResponse> {
    return this.send('GET', (await this.#path(o)).item);
  }
}

/** The apiserver's message from a failed response, for assertion output. */
export function failureMessage(res: ApiResponse): string {
  return isRecord(res.body) && typeof res.body['message'] === 'string'
    ? res.body['message']
    : JSON.stringify(res.body).slice(0, 500);
}
