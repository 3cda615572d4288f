// The flag tables in README.md (berth extender) and docs/agent.md (berth agent), generated from the options tables.
// `node scripts/flags-table.ts extender|agent` prints one; `--write` puts both in place between their markers.
// test/docs-parity.test.ts fails when a file holds anything else.
import { readFileSync, writeFileSync } from 'node:fs';
import { AGENT_OPTIONS } from '../lib/agent/options.ts';
import { optionsMarkdown } from '../lib/core/options-text.ts';
import { OPTIONS } from '../lib/extender/options.ts';

export const FLAG_TABLES = [
  { command: 'extender', file: 'README.md', marker: 'extender-flags', table: OPTIONS },
  { command: 'agent', file: 'docs/agent.md', marker: 'agent-flags', table: AGENT_OPTIONS },
] as const;

/** `text` with the part between `<!-- marker:start -->` and `<!-- marker:end -->` replaced by `body`. */
export function replaceSection(text: string, marker: string, body: string): string {
  const start = `<!-- ${marker}:start -->\n`;
  const from = text.indexOf(start);
  const to = text.indexOf(`<!-- ${marker}:end -->`);
  if (from < 0 || to < from) throw new Error(`no ${marker} section`);
  return `${text.slice(0, from + start.length)}${body}${text.slice(to)}`;
}

if (import.meta.main) {
  const [arg] = process.argv.slice(2);
  const root = new URL('..', import.meta.url);
  if (arg === '--write') {
    for (const { file, marker, table } of FLAG_TABLES) {
      const path = new URL(file, root);
      writeFileSync(path, replaceSection(readFileSync(path, 'utf8'), marker, optionsMarkdown(table)));
    }
  } else {
    const entry = FLAG_TABLES.find((e) => e.command === arg);
    if (entry === undefined) {
      process.stderr.write('usage: node scripts/flags-table.ts extender|agent|--write\n');
      process.exitCode = 2;
    } else process.stdout.write(optionsMarkdown(entry.table));
  }
}
