/**
 * The words generated from an options table (lib/core/options.ts): `berth <command> --help`, and the markdown flag
 * tables in README.md and docs/agent.md (scripts/flags-table.ts prints them; test/docs-parity.test.ts compares).
 * Pure.
 */
import type { OptionSpec, OptionTable } from './options.ts';

const WIDTH = 118;
const FLAG_COLUMN = 34;

export const HELP_FLAG_HELP = 'print the flags and exit';

/** Durations, quantities and exit statuses mean the same for every command. */
export const OPTIONS_FOOTER = [
  'Durations are Go-style (500ms, 10s, 5m), quantities Kubernetes-style (1Gi, 10M), fractions in (0, 1].',
  'Exit status: 0 done, 1 runtime failure, 2 invalid flags.',
];

export function optionsHelp(command: string, summary: string, table: OptionTable): string {
  const lines = [`Usage: berth ${command} [flags]`, '', ...wrap(summary, WIDTH, ''), ''];
  let group: string | undefined = '';
  for (const [name, spec] of Object.entries(table)) {
    const heading = spec.group ?? 'Flags';
    if (heading !== group) {
      if (group !== '') lines.push('');
      lines.push(`${heading}:`);
      group = heading;
    }
    lines.push(...entry(flagWithArg(name, spec), `${spec.help.replaceAll('`', '')}${helpDefault(name, spec)}`));
  }
  lines.push('', ...entry('-h, --help', HELP_FLAG_HELP), '', ...OPTIONS_FOOTER.flatMap((p) => wrap(p, WIDTH, '')));
  return `${lines.join('\n')}\n`;
}

/** The markdown table: flag, default, meaning; one row per entry, then --help. */
export function optionsMarkdown(table: OptionTable): string {
  const rows = ['| flag | default | meaning |', '|---|---|---|'];
  for (const [name, spec] of Object.entries(table)) {
    const flag = spec.type === 'boolean' && spec.default === true ? `\`--${name}\`, \`--no-${name}\`` : `\`--${name}\``;
    rows.push(`| ${flag} | ${markdownDefault(spec)} | ${spec.help.replaceAll('|', '\\|')} |`);
  }
  rows.push(`| \`--help\`, \`-h\` |  | ${HELP_FLAG_HELP} |`);
  return `${rows.join('\n')}\n`;
}

function markdownDefault(spec: OptionSpec): string {
  if (spec.shown !== undefined) return spec.shown;
  return spec.default === '' ? '' : `\`${String(spec.default)}\``;
}

function flagWithArg(name: string, spec: OptionSpec): string {
  if (spec.type === 'boolean') return `--${name}`;
  return `--${name} ${spec.arg ?? spec.rule?.arg ?? '<value>'}${spec.multiple === true ? ' ...' : ''}`;
}

function helpDefault(name: string, spec: OptionSpec): string {
  if (spec.shown !== undefined) return ` (default: ${spec.shown.replaceAll('`', '')})`;
  if (spec.type === 'boolean') return spec.default === true ? ` (on; --no-${name} turns it off)` : '';
  return spec.default === '' ? '' : ` (default ${String(spec.default)})`;
}

function entry(flag: string, text: string): string[] {
  const body = wrap(text, WIDTH - FLAG_COLUMN, ' '.repeat(FLAG_COLUMN));
  const lead = `  ${flag}`;
  // A flag too long for its column puts its text on the next line.
  if (lead.length >= FLAG_COLUMN - 1) return [lead, ...body];
  return [lead.padEnd(FLAG_COLUMN) + (body[0] ?? '').slice(FLAG_COLUMN), ...body.slice(1)];
}

function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (word === '') continue;
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '' || out.length === 0) out.push(indent + line);
  return out;
}
