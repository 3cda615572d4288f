import t from 'tap';
import {
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
