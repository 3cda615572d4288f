/**
 * What the node agent costs per collection round, extrapolated to a day at the default 10 s interval.
 *
 *   PATH=$PWD/node_modules/.bin:$PATH node bench/agent-cost.ts [--rounds 60] [--peers 24]
 *
 * Runs the real agent parts (buildAgentParts: the same collectors, echo socket and prober as `berth agent`) with a
 * representative configuration: one mount pool (/), the default-route NIC, an LVM pool only with --lvm, and
 * --peers loopback peers served by a child process (16 same-zone + 8 others by default). Each round the child also
 * sends this agent as many probes as it sends (a node answers about as many probes as it makes), and every second
 * round a report is POSTed to a sink in the child (publish on change/heartbeat ≈ every 20 s). Rounds run
 * back-to-back; the idle time between real rounds costs nothing measurable (one timer).
 *
 * CPU is process.cpuUsage() plus the CPU of waited-for child processes (cutime + cstime from /proc/self/stat):
 * systeminformation and vgs spawn processes whose CPU process.cpuUsage() alone would hide. The periodic device
 * re-listing (lsblk, every --inventory-refresh = 5 min) is measured separately and amortised.
 * Targets: ≤ 1 % of one core, ≤ 60 MB RSS.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import si from 'systeminformation';
import { validateAgentConfig } from '../lib/agent/config.ts';
import { realDeps } from '../server/agent/deps.ts';
import { createLogger } from '../server/common/log.ts';
import { EchoSocket } from '../server/agent/latency/echo-socket.ts';
import { encodeEchoPacket, ECHO_REQUEST } from '../server/agent/latency/echo-packet.ts';
import { NvmeDeviceCollector } from '../server/agent/collectors/nvme-devices.ts';
import { HOST_PATHS } from '../server/agent/collectors/sysfs.ts';
import { buildAgentParts } from '../server/agent/runtime.ts';
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';

const INTERVAL_S = 10;
const ROUNDS_PER_DAY = 86_400 / INTERVAL_S;
const CLK_TCK = 100; // USER_HZ on Linux: /proc/<pid>/stat times are in 1/100 s

interface ChildHello {
  probePorts: number[];
  sinkPort: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '60' },
      peers: { type: 'string', default: '24' },
      lvm: { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const peerCount = Number(values.peers);
  const child = fork(new URL(import.meta.url).pathname, ['--peers-child', String(peerCount)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const hello = await new Promise<ChildHello>((resolve) =>
    child.once('message', (m) => {
      resolve(m as ChildHello);
    }),
  );
  const peers = hello.probePorts.map((p, i) => `peer-${i}=127.0.0.1:${p}`).join(',');
  const flags = {
    node: 'bench-node',
    zone: 'z1',
    extender: `http://127.0.0.1:${hello.sinkPort}`,
    pool: ['root=mount:/', ...(values.lvm ? ['vg=lvm:vg0'] : [])],
    ...(peerCount > 0 ? { peers: [peers] } : { 'peer-source': 'none' }),
    'probe-listen': '127.0.0.1:0',
    'probe-zone-peers': '16',
    'probe-other-peers': '8',
  };
  const checked = validateAgentConfig({ flags, env: {}, hostname: 'bench' });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  const config = checked.value;
  const deps = realDeps(createLogger({ level: 'info', destination: { write: () => undefined } }));
  const parts = await buildAgentParts(config, deps, { once: false });
  const echoPort = parts.echo?.address.port ?? 0;
  const probesPerRound = Math.min(peerCount, 24) * config.probe.count;
  const publisher = parts.publisher;
  if (publisher === null) throw new Error('no publisher');

  const runRound = async (i: number): Promise<void> => {
    child.send({ blast: echoPort, count: probesPerRound });
    await parts.network.prime(deps.clock.monotonicMs());
    const report = await parts.collector.collect(new AbortController().signal);
    if (i % 2 === 0) await publisher.publish(report, AbortSignal.timeout(5000));
  };
  for (let i = 0; i < 5; i++) await runRound(i); // warm-up: JIT, first lsblk, first peer list
  global.gc?.();
  const rss: MemoryStatus[] = [];
  const cpu0 = process.cpuUsage();
  const kids0 = childCpuMs();
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    await runRound(i);
    rss.push(memoryStatus());
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const ownMs = (cpu.user + cpu.system) / 1000;
  const kidsMs = childCpuMs() - kids0;
  const perRoundMs = (ownMs + kidsMs) / rounds;

  // The device list refresh (lsblk via systeminformation) runs every --inventory-refresh, not every round.
  const nvme = new NvmeDeviceCollector({ paths: HOST_PATHS, refreshMs: 0, log: deps.log });
  const refresh = await measure(10, () => nvme.collect(0));
  const refreshesPerDay = 86_400_000 / config.inventoryRefreshMs;
  const dayCpuS = (perRoundMs * ROUNDS_PER_DAY + refresh.cpuMs * refreshesPerDay) / 1000;

  const nic = (await parts.network.selectedNics(deps.clock.monotonicMs()))[0] ?? 'lo';
  // For the README: what the systeminformation calls this agent avoids on the periodic path would cost.
  const compare = {
    // networkStats caches for 500 ms: space the calls as a poller would, or the cache is what gets measured.
    'si.networkStats(nic)': await measure(
      3,
      async () => {
        await new Promise((r) => setTimeout(r, 600));
        return si.networkStats(nic);
      },
      true,
    ),
    'si.networkInterfaces()': await measure(3, () => si.networkInterfaces()),
    'si.fsSize()': await measure(10, () => si.fsSize()),
    'si.blockDevices()': refresh,
  };

  const result = {
    machine: `${/model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?'}, ${cpuCount()} CPUs, Node ${process.version}`,
    rounds,
    peersProbed: Math.min(peerCount, 24),
    probesSentPerRound: probesPerRound,
    probesAnsweredPerRound: probesPerRound,
    perRound: {
      ownCpuMs: round2(ownMs / rounds),
      childCpuMs: round2(kidsMs / rounds),
      wallMs: round2(wallMs / rounds),
    },
    inventoryRefresh: { cpuMs: round2(refresh.cpuMs), perDay: refreshesPerDay },
    perDayAt10s: { cpuSeconds: round2(dayCpuS), percentOfOneCore: round2((dayCpuS / 86_400) * 100) },
    // RssFile is mostly the node binary's own text (file-backed, reclaimable, the same for every Node 24 process);
    // RssAnon is what the agent itself allocates. This bench runs under Node's type stripping, which adds ~17 MiB.
    rssMiB: {
      max: mib(Math.max(...rss.map((m) => m.rss))),
      anonMax: mib(Math.max(...rss.map((m) => m.anon))),
      fileMax: mib(Math.max(...rss.map((m) => m.file))),
    },
    heapUsedMiB: mib(process.memoryUsage().heapUsed),
    targets: { percentOfOneCore: 1, rssMiB: 60 },
    avoidedCalls: Object.fromEntries(
      Object.entries(compare).map(([k, v]) => [k, { cpuMsPerCall: round2(v.cpuMs), wallMsPerCall: round2(v.wallMs) }]),
    ),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await parts.close();
  child.kill();
}

/** CPU (own + children) and wall time per call. With `spaced`, the wall time includes the caller's pause and is not meaningful. */
async function measure(
  n: number,
  fn: () => Promise<unknown>,
  spaced = false,
): Promise<{ cpuMs: number; wallMs: number }> {
  await fn();
  const c0 = process.cpuUsage();
  const k0 = childCpuMs();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const c = process.cpuUsage(c0);
  return {
    cpuMs: ((c.user + c.system) / 1000 + childCpuMs() - k0) / n,
    wallMs: spaced ? Number.NaN : (performance.now() - t0) / n,
  };
}

interface MemoryStatus {
  rss: number;
  anon: number;
  file: number;
}
function memoryStatus(): MemoryStatus {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/** CPU of terminated, waited-for children (fields 16 and 17 of /proc/self/stat), in ms. */
function childCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLK_TCK;
}

function cpuCount(): number {
  return (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm) ?? []).length;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const mib = (b: number): number => round2(b / 2 ** 20);

/** The peers (echo responders), the report sink, and a source of incoming probes: all outside the measured process. */
async function runPeersChild(): Promise<void> {
  const n = Number(process.argv[process.argv.indexOf('--peers-child') + 1]);
  const sockets = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      EchoSocket.open({
        listen: { host: '127.0.0.1', port: 0 },
        monotonicMs: () => performance.now(),
        random: () => (i + 1) / (n + 2),
      }),
    ),
  );
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => {
    sink.listen(0, '127.0.0.1', r);
  });
  const blaster = createSocket('udp4');
  const ipc = process as unknown as ChildProcess & { send: (m: unknown) => void };
  ipc.on('message', (m: { blast: number; count: number }) => {
    for (let i = 0; i < m.count; i++)
      blaster.send(encodeEchoPacket({ type: ECHO_REQUEST, session: 1, nonce: i }), m.blast, '127.0.0.1');
  });
  blaster.on('message', () => undefined);
  const addr = sink.address();
  ipc.send({
    probePorts: sockets.map((s) => s.address.port),
    sinkPort: typeof addr === 'object' && addr ? addr.port : 0,
  } satisfies ChildHello);
}

if (process.argv.includes('--peers-child')) await runPeersChild();
else await main();
