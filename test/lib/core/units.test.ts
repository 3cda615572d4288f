import t from 'tap';
import { bestTimes, KiB } from '../../helpers/cost-ratio.ts';
import {
  MAX_UNIT_TEXT,
  formatBitRate,
  formatBytes,
  formatDurationUs,
  parseDurationUs,
  parseQuantity,
} from '../../../lib/core/units.ts';

t.test('parseQuantity', async (t) => {
  const cases: [string, number | null][] = [
    ['200Gi', 200 * 2 ** 30],
    ['10G', 10e9],
    ['1.5Ti', 1.5 * 2 ** 40],
    ['100', 100],
    ['500m', 0.5],
    ['1e3', 1000],
    ['2E', 2e18],
    ['1Ki', 1024],
    [' 7Mi ', 7 * 2 ** 20],
    ['.5k', 500],
    ['', null],
    ['Gi', null],
    ['10 Gi', null],
    ['10gb', null],
    ['ten', null],
    ['1.2.3', null],
    ['10GiB', null],
    ['1.', 1],
    ['+5', 5],
    ['-2Ki', -2048],
    ['.', null],
    ['+', null],
    ['1e', null],
    ['1e+', null],
    ['1e-3', 0.001],
    ['1Ei', 2 ** 60],
    ['1constructor', null],
    ['1__proto__', null],
    ['1toString', null],
    ['1e400', null],
    ['1'.repeat(MAX_UNIT_TEXT), Number('1'.repeat(MAX_UNIT_TEXT))],
    ['1'.repeat(MAX_UNIT_TEXT + 1), null],
  ];
  for (const [text, want] of cases) t.equal(parseQuantity(text), want, JSON.stringify(text));
});

t.test('parseDurationUs', async (t) => {
  const cases: [string, number | null][] = [
    ['500us', 500],
    ['500µs', 500],
    ['1.5ms', 1500],
    ['2s', 2e6],
    ['1m30s', 90e6],
    ['1h', 3600e6],
    ['250ns', 0.25],
    ['0', 0],
    ['', null],
    ['5', null],
    ['ms', null],
    ['1x', null],
    ['1s2', null],
    ['-1s', null],
    ['1.s', 1e6],
    ['.5s', 0.5e6],
    ['1msx', null],
    ['1constructor', null],
    ['s', null],
    ['1h1', null],
    [`${'1'.repeat(MAX_UNIT_TEXT - 1)}s`, Number('1'.repeat(MAX_UNIT_TEXT - 1)) * 1e6],
    [`${'1'.repeat(MAX_UNIT_TEXT)}s`, null],
  ];
  for (const [text, want] of cases) t.equal(parseDurationUs(text), want, JSON.stringify(text));
});

t.test('formatters', async (t) => {
  t.equal(formatBytes(200 * 2 ** 30), '200Gi');
  t.equal(formatBytes(120.25 * 2 ** 30), '120Gi', 'three significant digits at ≥100');
  t.equal(formatBytes(1.5 * 2 ** 40), '1.5Ti');
  t.equal(formatBytes(0), '0');
  t.equal(formatBytes(-5), '0', 'negative clamps to zero');
  t.equal(formatBitRate(10e9), '10Gbit/s');
  t.equal(formatBitRate(950e6), '950Mbit/s');
  t.equal(formatDurationUs(850), '850us');
  t.equal(formatDurationUs(1200), '1.2ms');
  t.equal(formatDurationUs(2e6), '2s');
});

/**
 * Annotation and query values reach these parsers; Kubernetes allows 256 KiB of annotations. A 256 KiB value,
 * built to make a backtracking pattern quadratic, must cost about what a 10-byte value costs (both are measured
 * here, in the same run: a ratio, never an absolute time). Before the parsers were rewritten, 64k digits and an
 * "x" took 13.7 s.
 */
t.test('a 256 KiB value costs no more than a 10-byte one', async (t) => {
  const n = 256 * KiB;
  const hostile: [string, (s: string) => unknown, string][] = [
    ['quantity: digits then x', parseQuantity, `${'1'.repeat(n - 1)}x`],
    ['quantity: digits', parseQuantity, '1'.repeat(n)],
    ['quantity: spaces', parseQuantity, `${' '.repeat(n - 3)}1Gi`],
    ['quantity: dot digits', parseQuantity, `.${'1'.repeat(n - 2)}e`],
    ['duration: digits then x', parseDurationUs, `${'1'.repeat(n - 1)}x`],
    ['duration: many parts', parseDurationUs, '1s'.repeat(n / 2)],
    ['duration: digits and dots', parseDurationUs, '1.'.repeat(n / 2)],
  ];
  const small: [string, (s: string) => unknown, string][] = [
    ['quantity', parseQuantity, '1234.5678G'],
    ['duration', parseDurationUs, '1m30.125ms'],
  ];
  const times = bestTimes(
    [...small, ...hostile].map(
      ([, parse, value]) =>
        () =>
          parse(value),
    ),
  );
  const baseline = Math.max(times[0] ?? 0, times[1] ?? 0);
  hostile.forEach(([name], i) => {
    const ratio = (times[small.length + i] ?? Infinity) / baseline;
    t.ok(ratio <= 10, `${name}: ${ratio.toFixed(2)}x a 10-byte value`);
  });
});
