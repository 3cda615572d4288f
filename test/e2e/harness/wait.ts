import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is being waited for; goes into the timeout error. */
  description?: string;
}

type NotYet = undefined | null | false;

/**
 * Polls `check` until it returns something other than undefined, null or false, and returns
 * that. Errors thrown by `check` count as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, NotYet>> {
  const { timeoutMs = 30_000, intervalMs = 200, description = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, NotYet>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${cause}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

export interface HttpGetOptions {
  /** PEM CA bundle that must have signed the server certificate. */
  ca?: string;
  /** For components that serve a self-signed certificate generated in memory (scheduler, KCM). */
  insecureSkipVerify?: boolean;
  bearerToken?: string;
  timeoutMs?: number;
}

export interface HttpGetResult {
  status: number;
  body: string;
}

/** A one-shot GET for health endpoints; node's fetch cannot take a custom CA without undici. */
export function httpGet(url: string, options: HttpGetOptions = {}): Promise<HttpGetResult> {
  const { ca, insecureSkipVerify = false, bearerToken, timeoutMs = 5_000 } = options;
  const headers: Record<string, string> = bearerToken === undefined ? {} : { authorization: `Bearer ${bearerToken}` };
  return new Promise((resolve, reject) => {
    const onResponse = (response: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', reject);
    };
    const req = url.startsWith('https:')
      ? httpsRequest(
          url,
          { method: 'GET', headers, ca, rejectUnauthorized: !insecureSkipVerify, timeout: timeoutMs },
          onResponse,
        )
      : httpRequest(url, { method: 'GET', headers, timeout: timeoutMs }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
