/**
 * The docs are part of the product: these tests fail when README.md or docs/errors.md drift from the code.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPTIONS } from '../lib/extender/options.ts';
import { optionsMarkdown } from '../lib/core/options-text.ts';
import { FLAG_TABLES } from '../scripts/flags-table.ts';
import { ERRORS } from '../lib/core/errors.ts';
import { ANNOTATIONS } from '../lib/extender/needs.ts';
import { evaluateNode } from '../lib/extender/verdict.ts';
import { config, GiB, judgeContext, report, storeOf } from './helpers/builders.ts';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

function section(text: string, name: string): string {
  const start = text.indexOf(`<!-- ${name}:start -->`);
  const end = text.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < start) throw new Error(`no ${name} section`);
  return text.slice(start, end);
}

function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('|') && !l.startsWith('|---'))
    .slice(1)
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
}

t.test('README flag table matches the options table, both ways, with defaults', async (t) => {
  const rows = tableRows(section(readme, 'extender-flags'));
  const documented = new Map(
    rows.map(([flag = '', def = '']) => [/^`--([a-z-]+)`/.exec(flag)?.[1] ?? flag, def.replaceAll('`', '')]),
  );
  for (const [name, spec] of Object.entries(OPTIONS)) {
    t.ok(documented.has(name), `--${name} is documented`);
    t.equal(documented.get(name), spec.default === '' ? '' : String(spec.default), `--${name} default`);
  }
  // --help is the parser's own flag (server/common/options.ts), in every command.
  for (const name of documented.keys()) t.ok(name in OPTIONS || name === 'help', `README's --${name} exists`);
});

t.test(
  'every flag table is the one generated from its options table (node scripts/flags-table.ts --write)',
  async (t) => {
    for (const { command, file, marker, table } of FLAG_TABLES) {
      const text = readFileSync(join(root, file), 'utf8');
      const body = section(text, marker).replace(`<!-- ${marker}:start -->\n`, '');
      t.equal(body, optionsMarkdown(table), `${file}: berth ${command}`);
    }
  },
);

t.test('every annotation is documented', async (t) => {
  for (const key of Object.values(ANNOTATIONS)) t.match(readme, `\`${key}\``, key);
});

t.test('docs/errors.md lists exactly the error table, with statuses', async (t) => {
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const rows = tableRows(doc).filter(([code]) => code?.startsWith('`BERTH_ERR_'));
  // "—": never an HTTP answer (the agent's and the commands' own failures).
  const documented = new Map(
    rows.map(([code = '', status = '']) => [code.replaceAll('`', ''), status === '—' ? null : Number(status)]),
  );
  for (const [code, entry] of Object.entries(ERRORS))
    t.equal(documented.get(code), entry.status, `${code} → ${String(entry.status)}`);
  for (const code of documented.keys()) t.ok(code in ERRORS, `documented ${code} is in lib/core/errors.ts`);
  t.equal(documented.size, Object.keys(ERRORS).length, 'no error documented that the code does not have');
});

t.test('README scoring examples are what the code computes', async (t) => {
  const rows = tableRows(section(readme, 'scoring-examples'));
  t.ok(rows.length >= 5, `${rows.length} examples`);
  for (const [strategy = '', nvme = '', need = '', link = '', rtts = '', score = ''] of rows) {
    const [free, cap] = nvme === '–' ? [0, 0] : nvme.split('/').map((x) => Number(x.trim()));
    const [speed, load, bw] = link === '–' ? [] : link.split('/').map((x) => Number(x.trim()) * 1e9);
    const entries = rtts === '–' ? [] : rtts.split(',').map((x) => x.trim());
    // "same node": a peer on the candidate itself; a number: a peer elsewhere at that RTT.
    const peers = entries.filter((x) => x !== 'same node').map(Number);
    const peerNames = [...peers.map((_, i) => `peer-${i}`), ...entries.filter((x) => x === 'same node').map(() => 'n')];
    const r = report('n', {
      pools: nvme === '–' ? [] : [['nvme0', free ?? 0, cap ?? 0]],
      nics: speed === undefined ? [] : [{ name: 'eth0', speedBps: speed, rxBps: load ?? 0, txBps: 0 }],
      peers: peers.map((rtt, i) => [peerNames[i] ?? '', rtt] as const),
    });
    const store = storeOf([r, ...peerNames.filter((p) => p !== 'n').map((p) => report(p))]);
    const needs = {
      nvmeVolumes: Number(need) > 0 ? [Number(need) * GiB] : [],
      minBandwidthBps: bw ?? null,
      peers: entries.length > 0 ? { kind: 'controller' as const, namespace: 'default', uid: 'sts' } : null,
      latency: entries.length > 0,
    };
    const policy = config({ 'capacity-strategy': strategy }).policy;
    const v = evaluateNode('n', judgeContext(store, needs, { policy, peerNodes: peerNames }));
    t.equal(v.rejection, null, `${nvme} ${need} ${link} ${rtts}: passes`);
    t.equal(v.score, Number(score), `${strategy} ${nvme} need ${need} link ${link} rtts ${rtts} → ${score}`);
  }
});
