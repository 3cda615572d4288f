import t from 'tap';
import { describeProblems } from '../../../lib/core/check.ts';
import {
  array,
  boolean,
  compile,
  literal,
  nullable,
  number,
  object,
  oneOf,
  optional,
  string,
  toOpenApi,
  withDefault,
  type Infer,
} from '../../../lib/core/schema.ts';

const PAIR = object(
  {
    low: number({ min: 0 }),
    high: number({ min: 0, max: 100, integer: true, description: 'upper bound' }),
  },
  {
    rules: [
      {
        field: 'low',
        message: 'low must be ≤ high',
        cel: 'self.low <= self.high',
        holds: (p) => p.low <= p.high,
        explain: (p) => `must be ≤ high (${p.high}), got ${p.low}`,
      },
    ],
  },
);
const THING = object({
  version: literal('v1'),
  name: string(8, { pattern: { regex: /^[a-z]+$/, message: 'must be lower-case letters' } }),
  color: oneOf(['red', 'blue']),
  on: boolean(),
  note: nullable(string(20)),
  extra: optional(string(20)),
  pairs: withDefault(array(PAIR, 2), []),
});
type Thing = Infer<typeof THING>;
const check = compile(THING);
const good: Thing = { version: 'v1', name: 'abc', color: 'red', on: true, note: null, pairs: [{ low: 1, high: 2 }] };

t.test('valid input comes back with the declared fields only', async (t) => {
  const r = check(good);
  t.ok(r.ok);
  if (r.ok) t.equal(r.value, good, 'exactly the declared fields, valid as given: the same object, not a copy');
  const more = check({ ...good, junk: 'x'.repeat(1000), note: undefined });
  t.ok(more.ok);
  if (more.ok) {
    t.notOk('junk' in more.value, 'an undeclared field is not kept');
    t.equal(more.value.note, null, 'absent nullable: null');
    t.notOk('extra' in more.value, 'absent optional: absent');
  }
  const bare = check({ version: 'v1', name: 'a', color: 'blue', on: false });
  t.ok(bare.ok && bare.value.pairs.length === 0, 'absent defaulted: the default');
});

t.test('every problem, addressed by path', async (t) => {
  const r = check(
    {
      version: 'v2',
      name: 'ABC',
      color: 'green',
      on: 'yes',
      note: '',
      extra: 5,
      pairs: [{ low: 5, high: 2 }, { low: -1, high: 1.5 }, 'x'],
    },
    'spec',
  );
  t.notOk(r.ok);
  if (r.ok) return;
  t.same(r.problems, [
    { path: 'spec.version', message: 'must be "v1", got "v2"' },
    { path: 'spec.name', message: 'must be lower-case letters, got "ABC"' },
    { path: 'spec.color', message: 'must be one of red, blue, got "green"' },
    { path: 'spec.on', message: 'must be a boolean, got string' },
    { path: 'spec.note', message: 'must not be empty' },
    { path: 'spec.extra', message: 'must be a string, got number' },
    { path: 'spec.pairs', message: 'must have at most 2 items, got 3' },
  ]);
  const pairs = check({
    ...good,
    pairs: [
      { low: 5, high: 2 },
      { low: -1, high: 1.5 },
    ],
  });
  t.equal(
    pairs.ok ? '' : describeProblems(pairs.problems),
    'pairs[0].low: must be ≤ high (2), got 5; pairs[1].low: must be ≥ 0, got -1; pairs[1].high: must be an integer, got 1.5',
  );
  t.same(check([]), { ok: false, problems: [{ path: '', message: 'must be an object, got array' }] });
  const long = check({ ...good, name: 'x'.repeat(9) });
  t.equal(long.ok ? '' : describeProblems(long.problems), 'name: must be at most 8 characters');
});

t.test('values in messages are bounded', async (t) => {
  const r = check({ ...good, color: 'c'.repeat(10_000) });
  t.ok(!r.ok && (r.problems[0]?.message.length ?? 0) < 120, r.ok ? '' : (r.problems[0]?.message ?? ''));
});

t.test('the OpenAPI v3 schema says the same', async (t) => {
  t.same(toOpenApi(PAIR), {
    type: 'object',
    required: ['low', 'high'],
    properties: {
      low: { type: 'number', minimum: 0 },
      high: { type: 'integer', description: 'upper bound', minimum: 0, maximum: 100 },
    },
    'x-kubernetes-validations': [{ rule: 'self.low <= self.high', message: 'low must be ≤ high' }],
  });
  const api = toOpenApi(THING) as { required: string[]; properties: Record<string, unknown> };
  t.same(api.required, ['version', 'name', 'color', 'on'], 'nullable, optional and defaulted fields are not required');
  t.same(api.properties['version'], { type: 'string', enum: ['v1'] });
  t.same(api.properties['name'], { type: 'string', minLength: 1, maxLength: 8, pattern: '^[a-z]+$' });
  t.same(api.properties['note'], { type: 'string', minLength: 1, maxLength: 20, nullable: true });
  t.same(api.properties['pairs'], { type: 'array', maxItems: 2, items: toOpenApi(PAIR) });
});
