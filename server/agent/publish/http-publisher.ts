/**
 * POST <extender>/v1/reports with the report as JSON. 2xx (the extender answers 200 or 202) is success; a 400
 * carries `{code, message}`, which goes into the error so that the log says why the report was refused.
 * The optional bearer token (a projected ServiceAccount token, for the extender's TokenReview) is re-read from
 * its file when the file changes.
 */
import type { NodeReport } from '../../../lib/core/report.ts';
import { type BearerTokenFile, extenderHeaders } from '../bearer-token.ts';
import { errorMessage } from '../deps.ts';
import { publishError, type ReportPublisher } from './publisher.ts';

export interface HttpPublisherOptions {
  readonly extender: string; // base URL without trailing slash
  readonly token: BearerTokenFile | null;
  readonly timeoutMs: number;
}

export class HttpReportPublisher implements ReportPublisher {
  readonly #opts: HttpPublisherOptions;

  constructor(opts: HttpPublisherOptions) {
    this.#opts = opts;
  }

  async publish(report: NodeReport, signal: AbortSignal): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.#opts.extender}/v1/reports`, {
        method: 'POST',
        headers: await extenderHeaders(this.#opts.token, true),
        body: JSON.stringify(report),
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.#opts.timeoutMs)]),
      });
    } catch (err) {
      throw publishError(`POST /v1/reports: ${causeMessage(err)}`, { cause: err });
    }
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel();
      return;
    }
    const detail = await errorDetail(res);
    throw publishError(`POST /v1/reports: HTTP ${res.status}${detail.text !== '' ? `: ${detail.text}` : ''}`, {
      status: res.status,
      code: detail.code,
    });
  }
}

/** fetch wraps socket errors as "fetch failed" with the useful part in `cause`. */
function causeMessage(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause !== undefined ? `${errorMessage(err)} (${errorMessage(cause)})` : errorMessage(err);
}

async function errorDetail(res: Response): Promise<{ code: string | null; text: string }> {
  try {
    const text = (await res.text()).slice(0, 2048);
    try {
      const body = JSON.parse(text) as { code?: unknown; message?: unknown };
      const code = typeof body.code === 'string' ? body.code : null;
      const message = typeof body.message === 'string' ? body.message : '';
      if (code !== null || message !== '')
        return { code, text: [code, message].filter((s) => s !== null && s !== '').join(': ') };
    } catch {
      // not JSON: fall through to the raw text
    }
    return { code: null, text: text.trim().slice(0, 200) };
  } catch {
    return { code: null, text: '' };
  }
}
