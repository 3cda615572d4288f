/**
 * The JSON side of the fake API server's answers: list pages, Status errors, the field selectors it understands.
 */
import type { ServerResponse } from 'node:http';

export function goneStatus(): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'too old resource version: 1 (2)',
    reason: 'Expired',
    code: 410,
  };
}

export function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

/** `status.phase!=A,status.phase!=B` → ['A', 'B']; no selector → []; anything else → null (400). */
export function phaseSelector(text: string | undefined): string[] | null {
  if (text === undefined || text === '') return [];
  const out: string[] = [];
  for (const term of text.split(',')) {
    const m = /^status\.phase!=(\w+)$/.exec(term);
    if (m?.[1] === undefined) return null;
    out.push(m[1]);
  }
  return out;
}

export function jsonListPage(
  c: { listKind: string; apiVersion: string },
  meta: Record<string, unknown>,
  page: readonly { json: Buffer }[],
): Buffer[] {
  const parts: Buffer[] = [
    Buffer.from(`{"kind":"${c.listKind}","apiVersion":"${c.apiVersion}","metadata":${JSON.stringify(meta)},"items":[`),
  ];
  page.forEach((item, i) => {
    if (i > 0) parts.push(Buffer.from(','));
    parts.push(item.json);
  });
  parts.push(Buffer.from(']}'));
  return parts;
}
