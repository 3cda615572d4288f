/**
 * Each failure is logged at the level it deserves: an expected condition (not ready right after start, push
 * turned off) at info and without a stack, a client's mistake at warn with its message, and only a real failure
 * at error with the stack.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { buildApp } from '../../../server/http/app.ts';
import { pod, report, testApp } from '../../helpers/builders.ts';

interface LogLine {
  level: number;
  msg: string;
  code?: string;
  err?: { stack?: string };
}

const INFO = 30;
const WARN = 40;
const ERROR = 50;

function loggingApp(config: Parameters<typeof testApp>[0] = {}) {
  const { deps } = testApp(config);
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  const app = buildApp(
    {
      ...deps,
      cluster: {
        ...deps.cluster,
        attempt: () => {
          throw new Error('boom');
        },
      },
    },
    { logger: { level: 'info', stream } },
  );
  return { app, lines, store: deps.store };
}

t.test('log levels follow what happened', async (t) => {
  const { app, lines, store } = loggingApp({ config: { 'reports-push': false } });
  const needs = { Pod: pod({ 'berth.io/nvme-capacity': '1Gi' }), Nodes: null, NodeNames: ['a'] };
  const notReady = await app.inject({ method: 'POST', url: '/scheduler/filter', payload: needs });
  t.equal(notReady.statusCode, 503);
  const off = await app.inject({ method: 'POST', url: '/v1/reports', payload: {} });
  t.equal(off.statusCode, 403);
  const bad = await app.inject({ method: 'POST', url: '/scheduler/filter', payload: { Pod: null } });
  t.equal(bad.statusCode, 400);
  store.ingest(report('a'), Date.now());
  const boom = await app.inject({ method: 'POST', url: '/scheduler/filter', payload: needs });
  t.equal(boom.statusCode, 500);
  const by = (code: string): LogLine | undefined => lines.find((l) => l.code === code);
  t.match(by('BERTH_ERR_NOT_READY'), { level: INFO, msg: /not ready to judge nodes yet/ });
  t.equal(by('BERTH_ERR_NOT_READY')?.err, undefined, 'no stack for an expected condition');
  t.match(by('BERTH_ERR_REPORTS_DISABLED'), { level: INFO });
  t.match(by('BERTH_ERR_BAD_REQUEST'), { level: WARN, msg: /Pod: must be an object/ });
  const failed = lines.find((l) => l.level === ERROR);
  t.match(failed, { msg: 'request failed', err: { stack: /Error: boom/ } }, 'a bug is logged with its stack');
  t.equal(lines.filter((l) => l.level >= ERROR).length, 1, 'only the bug is an error');
});
