/** docs/agent.md and `berth agent --help` list every flag the parser accepts, with the defaults the config applies. */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { AGENT_OPTIONS, AGENT_SUMMARY } from '../../../lib/agent/options.ts';
import { optionsHelp } from '../../../lib/core/options-text.ts';

const AGENT_FLAG_NAMES = [...Object.keys(AGENT_OPTIONS), 'help'];
const AGENT_HELP = optionsHelp('agent', AGENT_SUMMARY, AGENT_OPTIONS);
/** The defaults the reader parses when a flag is absent (the others are worked out at start or are switches). */
const AGENT_FLAG_DEFAULTS = Object.fromEntries(
  Object.entries(AGENT_OPTIONS).flatMap(([name, spec]) =>
    spec.type === 'string' && spec.default !== '' ? [[name, spec.default]] : [],
  ),
);

const doc = await readFile(new URL('../../../docs/agent.md', import.meta.url), 'utf8');
const rows = new Map(
  doc
    .split('\n')
    .filter((l) => l.startsWith('| `--'))
    .map((l) => [/^\| `--([a-z-]+)/.exec(l)?.[1] ?? '', l]),
);

t.test('every flag is documented and in --help', async (t) => {
  for (const name of AGENT_FLAG_NAMES) {
    t.ok(rows.has(name), `docs/agent.md has a row for --${name}`);
    t.ok(AGENT_HELP.includes(`--${name}`), `--help mentions --${name}`);
  }
  for (const name of rows.keys()) t.ok(AGENT_FLAG_NAMES.includes(name), `documented --${name} exists`);
});

t.test('documented defaults are the parsed ones', async (t) => {
  t.ok(Object.keys(AGENT_FLAG_DEFAULTS).length >= 20, 'the defaulted flags are found');
  for (const [name, value] of Object.entries(AGENT_FLAG_DEFAULTS)) {
    const cells = (rows.get(name) ?? '').split('|').map((c) => c.trim());
    t.equal(cells[2], `\`${value}\``, `--${name} default ${value}`);
  }
});
