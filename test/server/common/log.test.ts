/**
 * One logger for both halves: the same line shape and levels from the extender (through fastify) and from the agent
 * running inside it (--local-agent), into one output.
 */
import t from 'tap';
import { parseExtenderConfig } from '../../../lib/extender/config.ts';
import { startAgent } from '../../../server/agent/start.ts';
import { componentLogger, createLogger } from '../../../server/common/log.ts';
import { startExtender } from '../../../server/extender/run.ts';
import { waitFor } from '../../helpers/wait.ts';

function capture(level: 'info' | 'warn' | 'debug') {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const log = createLogger({
    level,
    destination: {
      write: (line: string) => {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { log, lines, raw };
}

t.test('the line: level by name, ISO time, component, the fields, msg last', async (t) => {
  const c = capture('info');
  componentLogger(c.log, 'agent').warn({ collector: 'pools', reason: 'EACCES' }, 'collector problem');
  t.equal(c.raw.length, 1);
  t.match(
    c.raw[0],
    /^\{"level":"warn","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","component":"agent","collector":"pools","reason":"EACCES","msg":"collector problem"\}\n$/,
  );
});

t.test('--log-level: less severe lines are not written', async (t) => {
  const c = capture('warn');
  const log = componentLogger(c.log, 'extender');
  log.info('dropped');
  log.debug('dropped');
  log.warn('kept');
  log.error('kept');
  t.same(
    c.lines.map((l) => l['level']),
    ['warn', 'error'],
  );
});

t.test('the extender and its in-process agent write one shape into one output', async (t) => {
  const parsed = parseExtenderConfig({ listen: '127.0.0.1:0', 'shutdown-delay': '0s' });
  if (!parsed.ok) throw new Error('config');
  const c = capture('info');
  const running = await startExtender(parsed.value, { logger: c.log });
  running.app.log.info({ url: running.url }, 'berth extender listening');
  const agent = await startAgent({
    extender: running.url,
    args: ['--pool', 'root=mount:/', '--probe-listen', '127.0.0.1:0', '--no-probe'],
    log: componentLogger(c.log, 'agent'),
  });
  await waitFor(() => c.lines.some((l) => l['msg'] === 'report published'), {
    timeoutMs: 10_000,
    description: 'a publish',
  });
  await agent.stop();
  await running.close();
  const byComponent = new Map<unknown, Record<string, unknown>[]>();
  for (const l of c.lines) byComponent.set(l['component'], [...(byComponent.get(l['component']) ?? []), l]);
  t.same([...byComponent.keys()].sort(), ['agent', 'extender'], 'both halves wrote to the one output');
  for (const l of c.lines) {
    const keys = Object.keys(l);
    t.same(keys.slice(0, 3), ['level', 'time', 'component'], `${String(l['msg'])}: level, time, component first`);
    t.equal(keys.at(-1), 'msg', `${String(l['msg'])}: msg last`);
    t.ok(['info', 'warn'].includes(String(l['level'])), `${String(l['msg'])}: a level name`);
  }
});
