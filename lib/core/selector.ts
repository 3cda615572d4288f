/**
 * Kubernetes label selectors in their string form ("app=pg,tier in (db,cache),!canary"), parsed once and matched
 * many times. Grammar: https://github.com/kubernetes/apimachinery/blob/master/pkg/labels/selector.go
 */

export type Requirement =
  | { readonly key: string; readonly op: 'in' | 'notin'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'exists' | 'notexists' };

export interface LabelSelector {
  readonly requirements: readonly Requirement[];
  readonly text: string;
}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas that are not inside a parenthesised value set. */
function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim());
}

function checkKey(key: string): string | null {
  return KEY.test(key) && key.length <= 316 ? null : `invalid label key ${JSON.stringify(key)}`;
}

function checkValues(values: readonly string[]): string | null {
  const bad = values.find((v) => !VALUE.test(v) || v.length > 63);
  return bad === undefined ? null : `invalid label value ${JSON.stringify(bad)}`;
}

function parseTerm(term: string): Requirement | string {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const [, key = '', op = 'in', list = ''] = set;
    const values = list.split(',').map((v) => v.trim());
    return checkKey(key) ?? checkValues(values) ?? { key, op: op === 'in' ? 'in' : 'notin', values };
  }
  const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (eq) {
    const [, key = '', op = '=', value = ''] = eq;
    return checkKey(key) ?? checkValues([value]) ?? { key, op: op === '!=' ? 'notin' : 'in', values: [value] };
  }
  if (term.startsWith('!')) {
    const key = term.slice(1).trim();
    return checkKey(key) ?? { key, op: 'notexists' };
  }
  return checkKey(term) ?? { key: term, op: 'exists' };
}

/** Parses a selector string; returns a message naming the bad term on failure. */
export function parseSelector(text: string): LabelSelector | string {
  const trimmed = text.trim();
  if (trimmed === '') return 'empty selector';
  const requirements: Requirement[] = [];
  for (const term of splitTerms(trimmed)) {
    if (term === '') return `empty term in ${JSON.stringify(text)}`;
    const r = parseTerm(term);
    if (typeof r === 'string') return r;
    requirements.push(r);
  }
  return { requirements, text: trimmed };
}

export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const r of selector.requirements) {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(labels[r.key] ?? '')) return false;
        break;
      case 'notin':
        if (has && r.values.includes(labels[r.key] ?? '')) return false;
        break;
    }
  }
  return true;
}
