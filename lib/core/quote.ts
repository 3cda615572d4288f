/**
 * Untrusted text quoted in a message (an error, a filter reason), cut short so that a message never grows with
 * the input: a 256 KiB annotation must not become a 256 KiB reason repeated for every node.
 */
export const QUOTE_MAX = 64;

export function quoteBounded(text: string, max = QUOTE_MAX): string {
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}… (${text.length} characters)`;
}
