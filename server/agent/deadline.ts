/**
 * client-node calls cannot be cancelled, so a deadline races them instead: the caller gets an error when the
 * timeout passes or the signal aborts, and the abandoned call's own rejection is swallowed.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  signal: AbortSignal,
  fail: (why: string) => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(fail(`no answer from the API server within ${timeoutMs} ms`));
    }, timeoutMs);
    onAbort = () => {
      reject(fail('aborted'));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    work.catch(() => undefined);
  }
}
