/**
 * Small path-addressed validators shared by the report, wire and config parsers. Problems are collected,
 * not thrown at the first one, so one answer names every bad field ("pools[1].freeBytes: must be ≤ capacityBytes").
 */

export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: FieldProblem[] };

export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`)).join('; ');
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Collects problems while reading one untrusted object. */
export class Reader {
  readonly problems: FieldProblem[] = [];

  fail(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  record(v: unknown, path: string): Record<string, unknown> | null {
    if (isRecord(v)) return v;
    this.fail(path, `must be an object, got ${kindOf(v)}`);
    return null;
  }

  string(v: unknown, path: string, opts: { maxLength?: number; allowEmpty?: boolean } = {}): string | null {
    if (typeof v !== 'string') {
      this.fail(path, `must be a string, got ${kindOf(v)}`);
      return null;
    }
    if (!opts.allowEmpty && v === '') this.fail(path, 'must not be empty');
    else if (opts.maxLength !== undefined && v.length > opts.maxLength)
      this.fail(path, `must be at most ${opts.maxLength} characters`);
    else return v;
    return null;
  }

  optionalString(v: unknown, path: string, opts: { maxLength?: number } = {}): string | null {
    return v === undefined || v === null ? null : this.string(v, path, opts);
  }

  number(v: unknown, path: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | null {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(path, `must be a finite number, got ${kindOf(v)}`);
      return null;
    }
    if (opts.integer && !Number.isInteger(v)) this.fail(path, `must be an integer, got ${v}`);
    else if (opts.min !== undefined && v < opts.min) this.fail(path, `must be ≥ ${opts.min}, got ${v}`);
    else if (opts.max !== undefined && v > opts.max) this.fail(path, `must be ≤ ${opts.max}, got ${v}`);
    else return v;
    return null;
  }

  nullableNumber(v: unknown, path: string, opts: { min?: number; max?: number } = {}): number | null | undefined {
    if (v === null || v === undefined) return null;
    const n = this.number(v, path, opts);
    return n === null ? undefined : n;
  }

  boolean(v: unknown, path: string): boolean | null {
    if (typeof v === 'boolean') return v;
    this.fail(path, `must be a boolean, got ${kindOf(v)}`);
    return null;
  }

  array(v: unknown, path: string, maxItems: number): unknown[] | null {
    if (!Array.isArray(v)) {
      this.fail(path, `must be an array, got ${kindOf(v)}`);
      return null;
    }
    if (v.length > maxItems) {
      this.fail(path, `must have at most ${maxItems} items, got ${v.length}`);
      return null;
    }
    return v as unknown[];
  }

  done<T>(value: T | null): Checked<T> {
    if (this.problems.length > 0 || value === null) {
      return { ok: false, problems: this.problems.length > 0 ? this.problems : [{ path: '', message: 'invalid' }] };
    }
    return { ok: true, value };
  }
}

export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
