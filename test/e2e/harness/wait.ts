import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export { waitFor, type WaitForOptions } from '../../helpers/wait.ts';

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
