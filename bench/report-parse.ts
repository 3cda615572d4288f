/**
 * `node bench/report-parse.ts`: what validating one NodeReport costs, the work done for every report the
 * extender receives (POST /v1/reports and every NodeReport informer event: hundreds per second at 5,000 nodes).
 * A realistic report (4 pools, 2 NICs, 4 devices, 128 peers, ~12 KB) is parsed from its JSON text; the baseline in
 * the same run is JSON.parse of that text, which every report pays anyway. With ajv installed (a dev dependency),
 * ajv's compiled validator for the same schema (lib/core/report.ts → OpenAPI) is measured too.
 * Prints percentiles in microseconds per report and the ratio to the baseline.
 */
import { performance } from 'node:perf_hooks';
import { NODE_REPORT_SCHEMA, parseReport, type NodeReport } from '../lib/core/report.ts';
import { toOpenApi } from '../lib/core/schema.ts';
import { report } from '../test/helpers/builders.ts';

const BLOCKS = 3_000;
const BLOCK = 20;
const WARMUP_BLOCKS = 300;

function sample(): NodeReport {
  const base = report('node-0001', {
    zone: 'eu-west-1a',
    probe: '10.0.0.1:7070',
    pools: [
      ['nvme0', 500, 1000],
      ['nvme1', 700, 1000],
      ['nvme2', 10, 1000],
      ['scratch', 1, 2],
    ],
    peers: Array.from({ length: 128 }, (_, i) => [`node-${String(i + 2).padStart(4, '0')}`, 180 + i] as const),
  });
  return {
    ...base,
    devices: Array.from({ length: 4 }, (_, i) => ({
      name: `nvme${i}n1`,
      model: 'SAMSUNG MZQL23T8HCLS',
      sizeBytes: 3.84e12,
    })),
    nics: [
      { name: 'eth0', speedBps: 25e9, rxBps: 3.2e9, txBps: 1.1e9 },
      { name: 'eth1', speedBps: 25e9, rxBps: 2.9e9, txBps: 0.8e9 },
    ],
  };
}

type Candidate = { readonly name: string; readonly run: () => unknown };

/** Candidates run in turns, a block of calls each, so machine load hits them alike; per-call µs per block. */
function measure(candidates: readonly Candidate[]): { name: string; p50: number; p99: number; mean: number }[] {
  const times = candidates.map(() => new Float64Array(BLOCKS));
  for (let round = -WARMUP_BLOCKS; round < BLOCKS; round++) {
    candidates.forEach((c, k) => {
      const t0 = performance.now();
      for (let i = 0; i < BLOCK; i++) c.run();
      const perCall = ((performance.now() - t0) * 1000) / BLOCK;
      if (round >= 0) (times[k] as Float64Array)[round] = perCall;
    });
  }
  return candidates.map((c, k) => {
    const t = (times[k] as Float64Array).sort();
    const at = (q: number): number => t[Math.min(BLOCKS - 1, Math.floor(q * BLOCKS))] ?? 0;
    return { name: c.name, p50: at(0.5), p99: at(0.99), mean: t.reduce((a, b) => a + b, 0) / BLOCKS };
  });
}

const text = JSON.stringify(sample());
const candidates: Candidate[] = [
  { name: 'JSON.parse (baseline)', run: () => JSON.parse(text) as unknown },
  {
    name: 'JSON.parse + parseReport',
    run: () => {
      if (!parseReport(JSON.parse(text)).ok) throw new Error('the sample must be valid');
    },
  },
];
try {
  const { Ajv } = await import('ajv');
  const validate = new Ajv({ allErrors: true, strict: false }).compile(toOpenApi(NODE_REPORT_SCHEMA));
  candidates.push({
    name: 'JSON.parse + ajv (compiled)',
    run: () => {
      if (!validate(JSON.parse(text))) throw new Error(JSON.stringify(validate.errors));
    },
  });
} catch (e) {
  process.stderr.write(`ajv not measured: ${e instanceof Error ? e.message : String(e)}\n`);
}
const results = measure(candidates);
const base = results[0]?.p50 ?? 1;
process.stdout.write(`report of ${text.length} bytes, ${BLOCKS} blocks of ${BLOCK} calls, µs per report\n`);
for (const r of results)
  process.stdout.write(
    `${r.name.padEnd(30)} p50 ${r.p50.toFixed(1).padStart(7)}  p99 ${r.p99.toFixed(1).padStart(7)}  mean ${r.mean.toFixed(1).padStart(7)}  ×${(r.p50 / base).toFixed(2)} baseline p50\n`,
  );
