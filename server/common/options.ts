/**
 * argv → raw flag values for one command's options table (lib/core/options.ts), with node:util parseArgs: unknown
 * flags and missing values are rejected here, in parseArgs' own words; every value is checked by OptionReader.
 * Both commands take --help/-h and --no-<switch> for switches that default to on.
 */
import { parseArgs } from 'node:util';
import type { OptionTable, RawFlags } from '../../lib/core/options.ts';

export type ParsedFlags =
  | { readonly ok: true; readonly values: RawFlags; readonly help: boolean }
  | { readonly ok: false; readonly message: string };

type ParseArgsOption = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };

export function parseFlags(argv: readonly string[], table: OptionTable): ParsedFlags {
  const options: Record<string, ParseArgsOption> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, spec] of Object.entries(table))
    options[name] = spec.multiple === true ? { type: spec.type, multiple: true } : { type: spec.type };
  try {
    const { values } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
    });
    const { help, ...rest } = values as Record<string, RawFlags[string]>;
    return { ok: true, values: rest, help: help === true };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

/** The one-line answer to flags parseArgs refused, pointing at --help. */
export function flagsRefused(command: string, message: string): string {
  return `berth ${command}: ${message}\nRun 'berth ${command} --help' for the flags.\n`;
}
