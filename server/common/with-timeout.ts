/**
 * client-node calls cannot be cancelled: a timeout abandons the call, rejects with `why`, and swallows the late
 * rejection of the abandoned call.
 */
import { BerthError } from '../../lib/core/errors.ts';

export async function withTimeout<T>(work: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new BerthError('BERTH_ERR_API', `${why}: no answer from the API server within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}
