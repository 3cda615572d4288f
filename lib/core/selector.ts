/**
 * Kubernetes label selectors in their string form ("app=pg,tier in (db,cache),!canary"), parsed once and matched
 * many times. Grammar: https://github.com/kubernetes/apimachinery/blob/master/pkg/labels/selector.go
 * The text comes from a pod annotation, so the parser reads it once, left to right, with no regular expression
 * that could backtrack, and refuses a selector longer than MAX_SELECTOR_TEXT before reading it.
 */
import { quoteBounded } from './quote.ts';

export type Requirement =
  | { readonly key: string; readonly op: 'in' | 'notin'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'exists' | 'notexists' };

export interface LabelSelector {
  readonly requirements: readonly Requirement[];
  readonly text: string;
}

/** Room for dozens of terms or a set of ~60 maximal values; a peer group is named in far fewer. */
export const MAX_SELECTOR_TEXT = 4096;

const NAME_MAX = 63;
const PREFIX_MAX = 253;

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isLowerAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}

/** A label name or value body: alphanumeric at both ends, [-_.] allowed inside. */
function isQualifiedName(s: string): boolean {
  if (s.length === 0 || s.length > NAME_MAX) return false;
  if (!isAlnum(s.charCodeAt(0)) || !isAlnum(s.charCodeAt(s.length - 1))) return false;
  for (let i = 1; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && c !== 45 && c !== 95 && c !== 46) return false;
  }
  return true;
}

/** A DNS-1123 subdomain: dot-separated labels, lower-case alphanumeric at both ends, '-' inside. */
function isDnsSubdomain(s: string): boolean {
  if (s.length === 0 || s.length > PREFIX_MAX) return false;
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i < s.length && s.charCodeAt(i) !== 46) {
      const c = s.charCodeAt(i);
      if (!isLowerAlnum(c) && c !== 45) return false;
      continue;
    }
    if (i === start || s.charCodeAt(start) === 45 || s.charCodeAt(i - 1) === 45) return false;
    start = i + 1;
  }
  return true;
}

function checkKey(key: string): string | null {
  const slash = key.indexOf('/');
  const ok =
    slash < 0 ? isQualifiedName(key) : isDnsSubdomain(key.slice(0, slash)) && isQualifiedName(key.slice(slash + 1));
  return ok ? null : `invalid label key ${quoteBounded(key)}`;
}

function checkValues(values: readonly string[]): string | null {
  const bad = values.find((v) => v !== '' && !isQualifiedName(v));
  return bad === undefined ? null : `invalid label value ${quoteBounded(bad)}`;
}

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

function skipSpace(s: string, from: number): number {
  let i = from;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** `in (a,b)` or `notin (a,b)` after the key, or null when `rest` is not a set restriction. */
function setRestriction(key: string, rest: string): Requirement | string | null {
  const op = rest.startsWith('notin') ? 'notin' : rest.startsWith('in') ? 'in' : null;
  if (op === null) return null;
  const open = skipSpace(rest, op.length);
  if (rest[open] !== '(') return null;
  if (!rest.endsWith(')')) return `expected ")" to close the values of ${quoteBounded(key)}`;
  const list = rest.slice(open + 1, -1);
  if (list.includes('(') || list.includes(')')) return `unbalanced parentheses in the values of ${quoteBounded(key)}`;
  const values = list.split(',').map((v) => v.trim());
  return checkKey(key) ?? checkValues(values) ?? { key, op, values };
}

function parseTerm(term: string): Requirement | string {
  if (term.startsWith('!')) {
    const key = term.slice(1).trim();
    return checkKey(key) ?? { key, op: 'notexists' };
  }
  let keyEnd = 0;
  while (keyEnd < term.length) {
    const c = term.charCodeAt(keyEnd);
    if (isSpace(c) || c === 61 /* = */ || c === 33 /* ! */ || c === 40 /* ( */) break;
    keyEnd++;
  }
  const key = term.slice(0, keyEnd);
  const restAt = skipSpace(term, keyEnd);
  const rest = term.slice(restAt);
  if (rest === '') return checkKey(key) ?? { key, op: 'exists' };
  const opLength = rest.startsWith('==') || rest.startsWith('!=') ? 2 : rest.startsWith('=') ? 1 : 0;
  if (opLength > 0) {
    const value = rest.slice(opLength).trim();
    return (
      checkKey(key) ?? checkValues([value]) ?? { key, op: rest.startsWith('!=') ? 'notin' : 'in', values: [value] }
    );
  }
  const set = restAt > keyEnd ? setRestriction(key, rest) : null;
  return set ?? `invalid label selector term ${quoteBounded(term)}`;
}

/** Parses a selector string; returns a message naming the bad term on failure. */
export function parseSelector(text: string): LabelSelector | string {
  if (text.length > MAX_SELECTOR_TEXT) return `selector longer than ${MAX_SELECTOR_TEXT} characters`;
  const trimmed = text.trim();
  if (trimmed === '') return 'empty selector';
  const requirements: Requirement[] = [];
  for (const term of splitTerms(trimmed)) {
    if (term === '') return `empty term in ${quoteBounded(text)}`;
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
