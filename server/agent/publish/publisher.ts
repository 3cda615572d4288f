/**
 * How a report leaves the node. One method, so the Kubernetes publisher (server-side apply of a NodeReport) can sit
 * beside the HTTP one: resolve when the receiver has accepted the report, throw when it has not.
 * Retrying, backoff and "latest wins" are not the publisher's job (see latest-wins-sender.ts).
 */
import { BerthError, isBerthError } from '../../../lib/core/errors.ts';
import type { NodeReport } from '../../../lib/core/report.ts';

export interface ReportPublisher {
  publish(report: NodeReport, signal: AbortSignal): Promise<void>;
}

/** A publish that did not go through: BERTH_ERR_PUBLISH, with the receiver's answer when there was one. */
export function publishError(
  message: string,
  opts: { status?: number | null; code?: string | null; cause?: unknown } = {},
): BerthError {
  return new BerthError('BERTH_ERR_PUBLISH', message, {
    cause: opts.cause,
    upstream: { status: opts.status ?? null, code: opts.code ?? null },
  });
}

export function isPublishError(err: unknown): err is BerthError {
  return isBerthError(err) && err.code === 'BERTH_ERR_PUBLISH';
}
