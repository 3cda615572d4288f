/**
 * A bearer token read from a file and re-read when the file changes. The kubelet rotates projected
 * ServiceAccount tokens by swapping a symlink (..data), so stat() (which follows it) sees a new inode/mtime;
 * one stat per request is far cheaper than re-reading and keeps the token fresh without a watcher.
 */
import { readFile, stat } from 'node:fs/promises';
import { BerthError } from '../../lib/core/errors.ts';

export class BearerTokenFile {
  readonly #path: string;
  #stamp = '';
  #token = '';

  constructor(path: string) {
    this.#path = path;
  }

  get path(): string {
    return this.#path;
  }

  /** The current token; throws (naming the file) when it is missing or empty, so the publish fails and is retried. */
  async read(): Promise<string> {
    const st = await stat(this.#path);
    const stamp = `${st.ino}/${st.size}/${st.mtimeMs}`;
    if (stamp !== this.#stamp) {
      const token = (await readFile(this.#path, 'utf8')).trim();
      if (token === '') throw new BerthError('BERTH_ERR_TOKEN', `${this.#path} is empty`);
      this.#token = token;
      this.#stamp = stamp;
    }
    return this.#token;
  }
}

/** Headers for a request to the extender: JSON, plus the bearer token when one is configured. */
export async function extenderHeaders(token: BearerTokenFile | null, json: boolean): Promise<Record<string, string>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (json) headers['content-type'] = 'application/json';
  if (token !== null) headers['authorization'] = `Bearer ${await token.read()}`;
  return headers;
}
