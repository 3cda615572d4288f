/**
 * How a report leaves the node. One method, so the Kubernetes publisher (server-side apply of a NodeReport) can sit
 * beside the HTTP one: resolve when the receiver has accepted the report, throw when it has not.
 * Retrying, backoff and "latest wins" are not the publisher's job (see latest-wins-sender.ts).
 */
import type { NodeReport } from '../../../lib/core/report.ts';

export interface ReportPublisher {
  publish(report: NodeReport, signal: AbortSignal): Promise<void>;
}

/** A publish that did not go through; `status` is the HTTP status when there was one. */
export class PublishError extends Error {
  readonly status: number | null;
  readonly code: string | null;

  constructor(message: string, opts: { status?: number | null; code?: string | null; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'PublishError';
    this.status = opts.status ?? null;
    this.code = opts.code ?? null;
  }
}
