/**
 * `npm run bench:scale`: berth at Kubernetes' scale limits. Starts the e2e control plane (etcd, kube-apiserver
 * v1.36.3), loads NodeReports for every node (the agent's default 128 peers each) and realistic pods (~10 KB of JSON
 * as stored, test/e2e/kube/scale-objects.ts) with a parallel loader, and measures `berth extender --kube` as a child
 * process at each pod count (measure.ts). The largest count this 2-core, 24 GiB machine cannot hold in a real API
 * server is served by the replay server instead: the pods recorded from the real API server, copied with new
 * names (replay-server.ts); the table says which rows those are.
 *
 *   node bench/scale/run.ts [--nodes 5000] [--sizes 5000,20000,50000] [--replay 150000] [--relists 10]
 *                           [--keep-recording DIR] [--recording DIR]
 *
 * --recording DIR replays a recording kept by an earlier run (--keep-recording) and measures only the replay size:
 * no control plane, no loading (for comparing changes quickly; the table then has that one row).
 *
 * Prints a table and writes bench/results/scale.md and scale.json. Not part of CI (test/e2e/kube/scale.test.ts
 * is the reduced run that is).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startControlPlane } from '../../test/e2e/harness/control-plane.ts';
import { kubernetesVersion } from '../../test/e2e/harness/binaries.ts';
import { applyManifests } from '../../test/e2e/kube/kube-fixtures.ts';
import { ApiWriter, loadBasics, loadNodes, loadPods, loadReports } from '../../test/e2e/kube/scale-loader.ts';
import { heapOnly, measureRun, type RunResult } from './measure.ts';
import { recordCluster } from './recording.ts';
import { formatReport } from './report.ts';
import { shippedNodeFlags } from '../../test/e2e/kube/scale-child.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const nodes = Number(arg('nodes', '5000'));
const sizes = arg('sizes', '5000,20000,50000').split(',').map(Number);
const replay = Number(arg('replay', '150000'));
const relists = Number(arg('relists', '10'));
/** Keep the recording of the real API server's collections here (for replay-server.ts), instead of a temp dir. */
const keep = arg('keep-recording', '');
/** Replay this kept recording only. */
const reuse = arg('recording', '');
const log = (m: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
};

const teardowns: (() => unknown)[] = [];
const results: RunResult[] = [];
const started = new Date();
const baseline = { empty: 0, reports: 0 };
let loadRate = 0;
const recording = keep === '' ? mkdtempSync(join(tmpdir(), 'berth-scale-')) : keep;
mkdirSync(recording, { recursive: true });
try {
  if (reuse !== '') {
    const recorded = (JSON.parse(readFileSync(join(reuse, 'counts.json'), 'utf8')) as { pods: number }).pods;
    results.push(await measureReplay(reuse, recorded));
  } else await loadAndMeasure();
} finally {
  for (const f of teardowns.reverse()) await f();
  if (keep === '' && reuse === '') rmSync(recording, { recursive: true, force: true });
}

/** The replay server over a recording of `recorded` pods, copied to reach --replay pods, measured. */
async function measureReplay(dir: string, recorded: number): Promise<RunResult> {
  const copies = Math.ceil(replay / recorded);
  const server = spawn(process.execPath, [join(import.meta.dirname, 'replay-server.ts'), dir, String(copies)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  teardowns.push(() => server.kill());
  const first = await createInterface({ input: server.stdout })[Symbol.asyncIterator]().next();
  const info = JSON.parse(String(first.value)) as { kubeconfig: string; pods: number };
  log(`replay server: ${info.pods} pods (${copies} copies of the ${recorded} recorded)`);
  return measureRun({
    kubeconfig: info.kubeconfig,
    pods: info.pods,
    nodes,
    source: `replay (${copies}× recorded)`,
    relists,
    force: () => server.stdin.write('gone\n'),
  });
}

/** A real kube-apiserver loaded size by size and measured at each, then the replay of what it held. */
async function loadAndMeasure(): Promise<void> {
  const cp = await startControlPlane({ teardown: (f) => teardowns.push(f), passing: () => true });
  const admin = cp.kubeConfig();
  await applyManifests(admin, ['namespaces.yaml', 'crd/nodereports.yaml']);
  const kubeconfig = await cp.writeKubeconfig();
  const w = await ApiWriter.create(admin, 32);
  await loadBasics(w);
  const empty = await heapOnly(kubeconfig);
  log(`empty cluster: heap ${(empty.data / 2 ** 20).toFixed(1)} MiB`);
  await loadNodes(w, 0, nodes);
  await loadReports(w, 0, nodes, nodes);
  const withReports = await heapOnly(kubeconfig);
  baseline.empty = empty.data;
  baseline.reports = withReports.data;
  log(`${nodes} nodes and NodeReports: heap ${(withReports.data / 2 ** 20).toFixed(1)} MiB`);
  let loaded = 0;
  for (const size of sizes) {
    const t0 = Date.now();
    const writesBefore = w.writes;
    await loadPods(w, loaded, size, nodes, (n) => {
      if (n % 5000 === 0) log(`  ${loaded + n} pods`);
    });
    loadRate = (w.writes - writesBefore) / ((Date.now() - t0) / 1000);
    log(`${size} pods loaded (${loadRate.toFixed(0)} writes/s)`);
    loaded = size;
    results.push(await measureRun({ kubeconfig, pods: size, nodes, source: 'kube-apiserver', relists: 1 }));
    log(JSON.stringify(results.at(-1)));
  }
  if (replay > 0) {
    await recordCluster(admin, recording);
    w.close();
    await cp.stop();
    results.push(await measureReplay(recording, loaded));
  }
}

const machine = `${String(cpus().length)} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, kube-apiserver ${kubernetesVersion()}; berth run with ${shippedNodeFlags().join(' ') || 'no node flags'} as the Deployment sets`;
const md = formatReport({
  date: started,
  machine,
  nodes,
  baseline,
  results,
  loadRate,
});
process.stdout.write(`${md}\n`);
if (reuse !== '') process.exit(0); // a comparison run: the committed results stay those of a full run
const out = join(import.meta.dirname, '..', 'results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'scale.md'), `${md}\n`);
writeFileSync(
  join(out, 'scale.json'),
  `${JSON.stringify({ date: started, machine, nodes, baseline, results }, null, 1)}\n`,
);
