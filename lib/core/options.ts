/**
 * Command-line options, one table per command (lib/extender/options.ts OPTIONS, lib/agent/options.ts AGENT_OPTIONS).
 * An entry's type, default and help feed the parser (server/common/options.ts), --help and the docs tables
 * (optionsHelp, optionsMarkdown: README.md and docs/agent.md are checked against them); its rule validates the text.
 * OptionReader checks every given value once, whether the configuration then uses it or not, records every problem
 * under "--name" and never replaces an invalid value with the default. Pure.
 */
import type { Checked, FieldProblem } from './check.ts';
import { checkHostPort, type HostPort } from './host-port.ts';
import { parseDurationUs, parseQuantity } from './units.ts';

/** What node:util parseArgs hands back: strings, booleans, or lists for repeatable flags. */
export type RawFlags = Readonly<Record<string, string | boolean | readonly (string | boolean)[] | undefined>>;

export type RuleResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** How one option's text becomes a value. */
export interface Rule<T> {
  /** The placeholder in --help, e.g. <duration>. */
  readonly arg: string;
  readonly parse: (text: string) => RuleResult<T>;
  /** Stands in for an invalid value; the configuration is discarded anyway once a problem is recorded. */
  readonly fallback: T;
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** Used when the flag is absent, as the flag's text; '' means none. */
  readonly default: string | boolean;
  readonly help: string;
  readonly rule?: Rule<unknown>;
  /** Repeatable, and each value comma-separated: --pool a --pool b,c. */
  readonly multiple?: boolean;
  /** The documented default when it is worked out at start rather than parsed (markdown). */
  readonly shown?: string;
  /** Heading in --help. */
  readonly group?: string;
  /** The placeholder in --help when the rule's (or <value>) says too little, e.g. <name=kind:target>. */
  readonly arg?: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

type RuleValue<S> = S extends { readonly rule: Rule<infer V> } ? V : never;
type RuledName<T extends OptionTable> = {
  [K in keyof T]: T[K] extends { readonly rule: Rule<unknown> } ? K : never;
}[keyof T] &
  string;

/** No flag's text is longer: keeps every rule's work bounded. */
export const MAX_FLAG_TEXT = 4096;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const ok = <T>(value: T): RuleResult<T> => ({ ok: true, value });
const no = <T>(message: string): RuleResult<T> => ({ ok: false, message });
const quote = (s: string): string => JSON.stringify(s);
const fmtMs = (ms: number): string => (ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`);

export const rules = {
  /** A Go duration, as milliseconds. Without maxMs only a minimum applies. */
  duration(minMs: number, maxMs?: number): Rule<number> {
    return {
      arg: '<duration>',
      fallback: minMs,
      parse: (text) => {
        const us = parseDurationUs(text);
        if (us === null) return no(`must be a duration such as 500ms, 10s or 5m, got ${quote(text)}`);
        const ms = us / 1000;
        if (maxMs === undefined)
          return ms < minMs ? no(`must be a duration of at least ${minMs}ms, got ${quote(text)}`) : ok(ms);
        return ms < minMs || ms > maxMs
          ? no(`must be between ${fmtMs(minMs)} and ${fmtMs(maxMs)}, got ${text}`)
          : ok(ms);
      },
    };
  },
  integer(min: number, max: number): Rule<number> {
    return {
      arg: '<n>',
      fallback: min,
      parse: (text) => {
        const n = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
        return Number.isInteger(n) && n >= min && n <= max
          ? ok(n)
          : no(`must be an integer from ${min} to ${max}, got ${quote(text)}`);
      },
    };
  },
  number(min: number, max: number): Rule<number> {
    return {
      arg: '<number>',
      fallback: min,
      parse: (text) => {
        const n = Number(text);
        return text !== '' && Number.isFinite(n) && n >= min && n <= max
          ? ok(n)
          : no(`must be a number from ${min} to ${max}, got ${quote(text)}`);
      },
    };
  },
  /** In (0, 1]. */
  fraction(): Rule<number> {
    return {
      arg: '<fraction>',
      fallback: 1,
      parse: (text) => {
        const n = /^(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
        return n > 0 && n <= 1 ? ok(n) : no(`must be a fraction in (0, 1], got ${quote(text)}`);
      },
    };
  },
  /** A Kubernetes quantity; `range` says the bounds in the units the reader thinks in, e.g. "1Ki to 1Gi". */
  quantity(min: number, max: number, range = `${min} to ${max}`): Rule<number> {
    return {
      arg: '<quantity>',
      fallback: min,
      parse: (text) => {
        const n = parseQuantity(text);
        return n !== null && n >= min && n <= max
          ? ok(n)
          : no(`must be a quantity such as 1Gi or 10M, from ${range}, got ${quote(text)}`);
      },
    };
  },
  oneOf<const V extends string>(values: readonly V[]): Rule<V> {
    return {
      arg: '<value>',
      fallback: values[0] as V,
      parse: (text) =>
        (values as readonly string[]).includes(text)
          ? ok(text as V)
          : no(`must be one of ${values.join(', ')}, got ${quote(text)}`),
    };
  },
  /** host:port (lib/core/host-port.ts); `ephemeral` admits port 0 where a socket is bound. */
  hostPort(ephemeral: boolean): Rule<HostPort> {
    return {
      arg: '<host:port>',
      fallback: { host: '127.0.0.1', port: 0 },
      parse: (text) => {
        const r = checkHostPort(text, ephemeral);
        if (r.ok) return ok(r.value);
        const ports = ephemeral ? 'port 1–65535 or 0' : 'port 1–65535';
        return no(`must be host:port (IPv6 as [addr]:port, ${ports}), got ${quote(text)}: ${r.reason}`);
      },
    };
  },
  text(maxLength: number, arg = '<value>'): Rule<string> {
    return {
      arg,
      fallback: '',
      parse: (text) => (text.length > maxLength ? no(`must be at most ${maxLength} characters`) : ok(text)),
    };
  },
  /** Comma-separated items, each matching `item`; `what` names them in the message. */
  list(item: RegExp, what: string): Rule<readonly string[]> {
    return {
      arg: '<a,b,...>',
      fallback: [],
      parse: (text) => {
        const items = text.split(',').map((x) => x.trim());
        const bad = items.find((x) => !item.test(x));
        return bad === undefined ? ok(items) : no(`must be a comma-separated list of ${what}, got ${quote(bad)}`);
      },
    };
  },
};

/** The shared --log-level entry: both commands log through the same logger with the same levels. */
export const LOG_LEVEL_OPTION = {
  type: 'string',
  default: 'info',
  help: 'fatal, error, warn, info, debug or trace',
  rule: rules.oneOf(LOG_LEVELS),
} as const satisfies OptionSpec;

export interface ReaderOptions {
  /** An empty value means "not given" (the extender: `--metrics-listen ''` is off); otherwise it is an error. */
  readonly emptyIsUnset?: boolean;
}

type Slot = { readonly kind: 'unset' } | { readonly kind: 'bad' } | { readonly kind: 'value'; readonly value: unknown };

/** Reads one command's flags against its table; every problem is recorded under "--name". */
export class OptionReader<T extends OptionTable> {
  readonly problems: FieldProblem[] = [];
  readonly #table: T;
  readonly #raw: RawFlags;
  readonly #slots = new Map<string, Slot>();
  readonly #lists = new Map<string, string[]>();
  readonly #emptyIsUnset: boolean;

  constructor(table: T, raw: RawFlags, opts: ReaderOptions = {}) {
    this.#table = table;
    this.#raw = raw;
    this.#emptyIsUnset = opts.emptyIsUnset ?? false;
    // parseArgs rejects unknown flags for users; one here is a programming error in an adapter: name it.
    for (const [name, v] of Object.entries(raw))
      if (v !== undefined && !Object.hasOwn(table, name))
        this.problems.push({ path: `--${name}`, message: 'unknown flag' });
    for (const [name, spec] of Object.entries(table)) this.#check(name, spec);
  }

  fail(name: keyof T & string, message: string): void {
    this.problems.push({ path: `--${name}`, message });
  }

  /** Whether the flag was given (a value, not an empty one where empty means unset). */
  given(name: keyof T & string): boolean {
    const v = this.#raw[name];
    return v !== undefined && !(this.#emptyIsUnset && typeof v === 'string' && v.trim() === '');
  }

  /** A switch: its value, else `fallback` (the table's default unless the default depends on other flags). */
  flag(name: keyof T & string, fallback = this.#table[name]?.default === true): boolean {
    const v = this.#raw[name];
    return typeof v === 'boolean' ? v : fallback;
  }

  /** The trimmed text of an option without a rule, or its default ('' for none). */
  text(name: keyof T & string): string {
    const slot = this.#slots.get(name);
    return slot?.kind === 'value' && typeof slot.value === 'string' ? slot.value : '';
  }

  /** The items of a repeatable option. */
  list(name: keyof T & string): readonly string[] {
    return this.#lists.get(name) ?? [];
  }

  /** The rule's value, or null when the option is unset (or invalid: the problem is recorded). */
  optional<K extends RuledName<T>>(name: K): RuleValue<T[K]> | null {
    const slot = this.#slots.get(name);
    return slot?.kind === 'value' ? (slot.value as RuleValue<T[K]>) : null;
  }

  /** The rule's value; for an option that has a default, or where unset was already ruled out. */
  get<K extends RuledName<T>>(name: K): RuleValue<T[K]> {
    return this.optional(name) ?? (this.#table[name]?.rule?.fallback as RuleValue<T[K]>);
  }

  /** The value, or every problem in the table's order (the order of --help), unknown flags first. */
  done<V>(value: V): Checked<V> {
    if (this.problems.length === 0) return { ok: true, value };
    const order = new Map(Object.keys(this.#table).map((name, i) => [`--${name}`, i]));
    const rank = (path: string): number => order.get(path) ?? -1;
    return { ok: false, problems: this.problems.toSorted((a, b) => rank(a.path) - rank(b.path)) };
  }

  #check(name: string, spec: OptionSpec): void {
    const v = this.#raw[name];
    if (spec.type === 'boolean') {
      if (v !== undefined && typeof v !== 'boolean') this.#fail(name, 'is a switch and takes no value');
      return;
    }
    if (spec.multiple === true) {
      this.#lists.set(name, this.#items(name, v));
      return;
    }
    const problem = typeof v === 'boolean' ? 'needs a value' : typeof v === 'object' ? 'given more than once' : null;
    let text = typeof v === 'string' ? v.trim() : undefined;
    if (text === '' && this.#emptyIsUnset) text = undefined;
    if (problem !== null || text === '') {
      this.#fail(name, problem ?? 'must not be empty');
      return;
    }
    text ??= String(spec.default);
    if (text === '') this.#slots.set(name, { kind: 'unset' });
    else if (text.length > MAX_FLAG_TEXT) this.#fail(name, `must be at most ${MAX_FLAG_TEXT} characters`);
    else if (spec.rule === undefined) this.#slots.set(name, { kind: 'value', value: text });
    else {
      const r = spec.rule.parse(text);
      if (r.ok) this.#slots.set(name, { kind: 'value', value: r.value });
      else this.#fail(name, r.message);
    }
  }

  #items(name: string, v: RawFlags[string]): string[] {
    if (v === undefined) return [];
    const given = typeof v === 'object' ? v : [v];
    if (given.some((s) => typeof s !== 'string')) this.#fail(name, 'needs a value');
    const items = given.flatMap((s) => (typeof s === 'string' ? s.split(',') : [])).map((s) => s.trim());
    const long = items.find((s) => s.length > MAX_FLAG_TEXT);
    if (long !== undefined) this.#fail(name, `must be at most ${MAX_FLAG_TEXT} characters per item`);
    return items.filter((s) => s !== '' && s.length <= MAX_FLAG_TEXT);
  }

  #fail(name: string, message: string): void {
    this.#slots.set(name, { kind: 'bad' });
    this.problems.push({ path: `--${name}`, message });
  }
}
