/**
 * A small schema language for the data berth exchanges (the NodeReport, lib/core/report.ts), from which three
 * things come: the TypeScript type (Infer), a validator (compile: path-addressed messages, every problem at once,
 * only the declared fields kept) and the OpenAPI v3 structural schema a CustomResourceDefinition carries
 * (toOpenApi, with cross-field rules as CEL). One description, so the three cannot drift.
 *
 * Why not TypeBox + ajv: ajv would become a runtime dependency of the extender for one schema; its messages are its
 * own ("must be <= 10", JSON pointers) where every other parser in berth names the field the same way
 * ("pools[1].freeBytes: must be ≤ capacityBytes (…)"); cross-field rules need its $data extension and would still
 * need their CEL twin for the CRD. Measured with bench/report-parse.ts, this validator costs about what ajv's
 * compiled one does for a 128-peer report (both about 1.2× the JSON.parse every report pays anyway). Pure.
 */
import { isRecord, kindOf, type Checked, type FieldProblem } from './check.ts';

interface Common {
  readonly description?: string;
}
/** A rule over a finished object, with the same rule in CEL for the API server (x-kubernetes-validations). */
export interface CrossField<T> {
  readonly field: string;
  readonly message: string;
  readonly cel: string;
  readonly holds: (value: T) => boolean;
  /** The message with the values that broke it, for berth's own answer. */
  readonly explain: (value: T) => string;
}
type Node =
  | (Common & {
      readonly kind: 'string';
      readonly maxLength: number;
      readonly pattern?: { readonly regex: RegExp; readonly message: string };
      readonly format?: { readonly name: string; readonly test: (s: string) => boolean; readonly message: string };
    })
  | (Common & { readonly kind: 'number'; readonly min?: number; readonly max?: number; readonly integer?: boolean })
  | (Common & { readonly kind: 'boolean' })
  | (Common & { readonly kind: 'enum'; readonly values: readonly string[] })
  | (Common & { readonly kind: 'literal'; readonly value: string })
  | (Common & { readonly kind: 'array'; readonly items: Schema<unknown>; readonly maxItems: number })
  | (Common & {
      readonly kind: 'object';
      readonly properties: Readonly<Record<string, Schema<unknown>>>;
      readonly rules?: readonly CrossField<never>[];
    })
  | (Common & { readonly kind: 'nullable'; readonly inner: Schema<unknown> })
  | (Common & { readonly kind: 'optional'; readonly inner: Schema<unknown> })
  | (Common & { readonly kind: 'defaulted'; readonly inner: Schema<unknown>; readonly value: unknown });

/** A schema node; T is the value it validates to (a phantom: never set at run time). */
export type Schema<T> = Node & { readonly __type?: T };
export type Infer<S> = S extends Schema<infer T> ? T : never;
type Props = Readonly<Record<string, Schema<unknown>>>;
type Optional<P extends Props> = { [K in keyof P]: P[K] extends { readonly kind: 'optional' } ? K : never }[keyof P];
type ObjectOf<P extends Props> = { readonly [K in Exclude<keyof P, Optional<P>>]: Infer<P[K]> } & {
  readonly [K in Optional<P>]?: Infer<P[K]>;
};

/** Strings are never empty: an empty name or reason is a mistake, not a value. */
export function string(
  maxLength: number,
  opts: Common & Partial<Pick<Extract<Node, { kind: 'string' }>, 'pattern' | 'format'>> = {},
): Schema<string> {
  return { kind: 'string', maxLength, ...opts };
}
export function number(opts: Common & { min?: number; max?: number; integer?: boolean } = {}): Schema<number> {
  return { kind: 'number', ...opts };
}
export function boolean(opts: Common = {}): Schema<boolean> {
  return { kind: 'boolean', ...opts };
}
export function oneOf<const V extends string>(values: readonly V[], opts: Common = {}): Schema<V> {
  return { kind: 'enum', values, ...opts };
}
export function literal<const V extends string>(value: V, opts: Common = {}): Schema<V> {
  return { kind: 'literal', value, ...opts };
}
export function array<T>(items: Schema<T>, maxItems: number, opts: Common = {}): Schema<readonly T[]> {
  return { kind: 'array', items, maxItems, ...opts };
}
export function object<P extends Props>(
  properties: P,
  opts: Common & { rules?: readonly CrossField<ObjectOf<P>>[] } = {},
): Schema<ObjectOf<P>> {
  return { kind: 'object', properties, ...opts };
}
/** Absent or null: null. */
export function nullable<T>(inner: Schema<T>, opts: Common = {}): Schema<T | null> {
  return { kind: 'nullable', inner, ...opts };
}
/** May be absent (derived data that readers ignore). */
export function optional<T>(inner: Schema<T>): Schema<T | undefined> & { readonly kind: 'optional' } {
  return { kind: 'optional', inner };
}
/** Absent or null: `value`. */
export function withDefault<T>(inner: Schema<T>, value: T): Schema<T> {
  return { kind: 'defaulted', inner, value };
}

// ---- validation ----

const INVALID: unique symbol = Symbol('invalid');
type Result = unknown;
interface Ctx {
  readonly base: string;
  readonly path: (string | number)[];
  readonly problems: FieldProblem[];
}
type Check = (v: unknown, ctx: Ctx) => Result;

function pathOf(ctx: Ctx, extra?: string): string {
  let out = ctx.base;
  for (const seg of extra === undefined ? ctx.path : [...ctx.path, extra])
    out = typeof seg === 'number' ? `${out}[${seg}]` : out === '' ? seg : `${out}.${seg}`;
  return out;
}
function fail(ctx: Ctx, message: string, extra?: string): typeof INVALID {
  ctx.problems.push({ path: pathOf(ctx, extra), message });
  return INVALID;
}
/** A value for a message, bounded: a 1 MB string does not go into an answer. */
function shown(v: unknown): string {
  const text = v === undefined ? 'undefined' : JSON.stringify(v);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

/** Validates untrusted input against `schema`; `path` prefixes every problem ("status"). */
export function compile<T>(schema: Schema<T>): (input: unknown, path?: string) => Checked<T> {
  const check = checker(schema);
  return (input, path = '') => {
    const ctx: Ctx = { base: path, path: [], problems: [] };
    const value = check(input, ctx);
    if (ctx.problems.length > 0 || value === INVALID)
      return { ok: false, problems: ctx.problems.length > 0 ? ctx.problems : [{ path, message: 'invalid' }] };
    return { ok: true, value: value as T };
  };
}

// Checkers read only constants captured here: reading the schema's fields per call would go through megamorphic
// property loads (every node kind has another shape) and cost several times the validation itself.
function checker(s: Schema<unknown>): Check {
  switch (s.kind) {
    case 'string':
      return stringChecker(s.maxLength, s.pattern?.regex ?? null, s.pattern?.message ?? '', s.format ?? null);
    case 'number':
      return numberChecker(s.min ?? -Infinity, s.max ?? Infinity, s.integer === true);
    case 'boolean':
      return (v, ctx) => (typeof v === 'boolean' ? v : fail(ctx, `must be a boolean, got ${kindOf(v)}`));
    case 'enum': {
      const values = new Set(s.values);
      const message = `must be one of ${s.values.join(', ')}`;
      return (v, ctx) => (typeof v === 'string' && values.has(v) ? v : fail(ctx, `${message}, got ${shown(v)}`));
    }
    case 'literal': {
      const value = s.value;
      return (v, ctx) => (v === value ? v : fail(ctx, `must be ${JSON.stringify(value)}, got ${shown(v ?? null)}`));
    }
    case 'array':
      return arrayChecker(checker(s.items), s.maxItems);
    case 'object':
      return objectChecker(s.properties, s.rules ?? []);
    case 'nullable': {
      const inner = checker(s.inner);
      return (v, ctx) => (v === undefined || v === null ? null : inner(v, ctx));
    }
    case 'optional': {
      const inner = checker(s.inner);
      return (v, ctx) => (v === undefined ? undefined : inner(v, ctx));
    }
    case 'defaulted': {
      const inner = checker(s.inner);
      const value = s.value;
      return (v, ctx) => (v === undefined || v === null ? value : inner(v, ctx));
    }
  }
}

function stringChecker(
  maxLength: number,
  pattern: RegExp | null,
  patternMessage: string,
  format: { readonly test: (s: string) => boolean; readonly message: string } | null,
): Check {
  return (v, ctx) => {
    if (typeof v !== 'string') return fail(ctx, `must be a string, got ${kindOf(v)}`);
    if (v === '') return fail(ctx, 'must not be empty');
    if (v.length > maxLength) return fail(ctx, `must be at most ${maxLength} characters`);
    if (pattern !== null && !pattern.test(v)) return fail(ctx, `${patternMessage}, got ${shown(v)}`);
    if (format !== null && !format.test(v)) return fail(ctx, format.message);
    return v;
  };
}

function numberChecker(min: number, max: number, integer: boolean): Check {
  return (v, ctx) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(ctx, `must be a finite number, got ${kindOf(v)}`);
    if (integer && !Number.isInteger(v)) return fail(ctx, `must be an integer, got ${v}`);
    if (v < min) return fail(ctx, `must be ≥ ${min}, got ${v}`);
    if (v > max) return fail(ctx, `must be ≤ ${max}, got ${v}`);
    return v;
  };
}

function arrayChecker(item: Check, maxItems: number): Check {
  return (v, ctx) => {
    if (!Array.isArray(v)) return fail(ctx, `must be an array, got ${kindOf(v)}`);
    if (v.length > maxItems) return fail(ctx, `must have at most ${maxItems} items, got ${v.length}`);
    let out: unknown[] | null = null;
    let ok = true;
    const path = ctx.path;
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      const x: unknown = v[i];
      const r = item(x, ctx);
      path.pop();
      if (r === INVALID) ok = false;
      else if (r !== x) (out ??= v.slice())[i] = r;
    }
    return ok ? (out ?? v) : INVALID;
  };
}

/**
 * The input object itself when it holds exactly the declared fields, valid as they are (the common case: no copy);
 * otherwise a new object of the declared fields only, so nothing undeclared is kept.
 *
 * The checker's body is generated once per object schema, with each field read by its literal name. A shared
 * loop reading `v[key]` would make every field access site megamorphic (all object schemas feed the same inline
 * caches) and measured 3× the cost of the hand-written validator it replaced; generated, it is on a par
 * (bench/report-parse.ts). The generated text holds only field names from the schema (JSON-quoted), never input.
 */
function objectChecker(properties: Props, rules: readonly CrossField<never>[]): Check {
  const keys = Object.keys(properties);
  const checks = keys.map((key) => checker(properties[key] as Schema<unknown>));
  const optional = keys.map((key) => properties[key]?.kind === 'optional');
  const q = (key: string): string => JSON.stringify(key);
  const body = [
    'return function checkObject(v, ctx) {',
    '  if (!isRecord(v)) return fail(ctx, "must be an object, got " + kindOf(v));',
    '  const path = ctx.path;',
    '  let ok = true;',
    '  let same = true;',
    ...keys.flatMap((key, i) => [
      `  const x${i} = v[${q(key)}];`,
      `  path.push(${q(key)});`,
      `  const r${i} = checks[${i}](x${i}, ctx);`,
      '  path.pop();',
      `  if (r${i} === INVALID) ok = false; else if (r${i} !== x${i}) same = false;`,
    ]),
    '  if (!ok) return INVALID;',
    '  if (same) for (const k in v) if (!known.has(k)) { same = false; break; }',
    '  let out = v;',
    '  if (!same) {',
    `    out = { ${keys.flatMap((key, i) => (optional[i] === true ? [] : [`${q(key)}: r${i}`])).join(', ')} };`,
    ...keys.flatMap((key, i) => (optional[i] === true ? [`    if (r${i} !== undefined) out[${q(key)}] = r${i};`] : [])),
    '  }',
    '  for (const rule of rules) if (!rule.holds(out)) return fail(ctx, rule.explain(out), rule.field);',
    '  return out;',
    '};',
  ].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the schema's own field names
  const make = new Function('isRecord', 'kindOf', 'fail', 'INVALID', 'checks', 'known', 'rules', body) as (
    ...args: unknown[]
  ) => Check;
  return make(isRecord, kindOf, fail, INVALID, checks, new Set(keys), rules);
}

// ---- OpenAPI v3 (the structural schema of a CustomResourceDefinition) ----

export type OpenApi = { readonly [key: string]: unknown };

export function toOpenApi(s: Schema<unknown>): OpenApi {
  const description = s.description === undefined ? {} : { description: s.description };
  switch (s.kind) {
    case 'string':
      return {
        type: 'string',
        ...description,
        minLength: 1,
        maxLength: s.maxLength,
        ...(s.pattern ? { pattern: s.pattern.regex.source } : {}),
        ...(s.format ? { format: s.format.name } : {}),
      };
    case 'number':
      return {
        type: s.integer === true ? 'integer' : 'number',
        ...description,
        ...(s.min === undefined ? {} : { minimum: s.min }),
        ...(s.max === undefined ? {} : { maximum: s.max }),
      };
    case 'boolean':
      return { type: 'boolean', ...description };
    case 'enum':
      return { type: 'string', ...description, enum: [...s.values] };
    case 'literal':
      return { type: 'string', ...description, enum: [s.value] };
    case 'array':
      return { type: 'array', ...description, maxItems: s.maxItems, items: toOpenApi(s.items) };
    case 'object':
      return objectOpenApi(s.properties, s.rules ?? [], description);
    case 'nullable':
      return { ...toOpenApi(s.inner), ...description, nullable: true };
    case 'optional':
    case 'defaulted':
      return { ...toOpenApi(s.inner), ...description };
  }
}

function objectOpenApi(properties: Props, rules: readonly CrossField<never>[], description: OpenApi): OpenApi {
  const required = Object.entries(properties)
    .filter(([, p]) => p.kind !== 'nullable' && p.kind !== 'optional' && p.kind !== 'defaulted')
    .map(([key]) => key);
  return {
    type: 'object',
    ...description,
    ...(required.length > 0 ? { required } : {}),
    properties: Object.fromEntries(Object.entries(properties).map(([key, p]) => [key, toOpenApi(p)])),
    ...(rules.length > 0
      ? { 'x-kubernetes-validations': rules.map((r) => ({ rule: r.cel, message: r.message })) }
      : {}),
  };
}
