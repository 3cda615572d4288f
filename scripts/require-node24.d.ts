// Types for scripts/require-node24.js, which stays plain JavaScript so that any Node can parse it.
export function satisfies(version: string, range: string): boolean;
export function engineProblems(
  root: string,
  nodeVersion: string,
): { readonly name: string; readonly version: string; readonly required: string }[];
