/**
 * Command-line flags from an options table: parsed with node:util parseArgs, unknown flags rejected, and a help
 * text generated from the same table that the README documents.
 */
import { parseArgs } from 'node:util';
import type { OptionSpec } from '../../lib/extender/config.ts';

export type ParsedFlags =
  | { readonly ok: true; readonly values: Record<string, string | boolean>; readonly help: boolean }
  | { readonly ok: false; readonly message: string };

export function parseFlags(argv: readonly string[], table: Readonly<Record<string, OptionSpec>>): ParsedFlags {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [name, spec] of Object.entries(table)) options[name] = { type: spec.type };
  try {
    const { values } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
    });
    const { help, ...rest } = values as Record<string, string | boolean | undefined>;
    const clean: Record<string, string | boolean> = {};
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) clean[k] = v;
    return { ok: true, values: clean, help: help === true };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

export function helpText(command: string, summary: string, table: Readonly<Record<string, OptionSpec>>): string {
  const lines = [`Usage: berth ${command} [flags]`, '', summary, '', 'Flags:'];
  for (const [name, spec] of Object.entries(table)) {
    const flag = spec.type === 'boolean' ? `--${name}` : `--${name} <value>`;
    const def = spec.default === '' ? '' : ` (default ${JSON.stringify(spec.default)})`;
    lines.push(`  ${flag.padEnd(30)} ${spec.help}${def}`);
  }
  return lines.join('\n');
}
