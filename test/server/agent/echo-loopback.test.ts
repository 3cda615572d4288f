/**
 * Real agents on loopback measuring each other through their own echo service: three in-process agents with
 * different ports, a stand-in extender that takes their reports and serves /v1/peers from them (as the real one
 * will), and the echo socket's own behaviour (bad packets, silent peers, reply rate limit).
 */
import t from 'tap';
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { type NodeReport, parseReport } from '../../../lib/core/report.ts';
import { EchoSocket } from '../../../server/agent/latency/echo-socket.ts';
import { encodeEchoPacket, ECHO_REQUEST } from '../../../server/agent/latency/echo-packet.ts';
import { HttpPeerSource, StaticPeerSource } from '../../../server/agent/latency/peer-source.ts';
import { BearerTokenFile } from '../../../server/agent/bearer-token.ts';
import { LatencyProber } from '../../../server/agent/latency/prober.ts';
import { startAgent, type RunningAgent } from '../../../server/agent/start.ts';
import { realDeps } from '../../../server/agent/deps.ts';
import { captureLog, localServer, seededRandom } from '../../fixtures/agent/helpers.ts';
import { waitFor } from '../../helpers/wait.ts';

const mono = (): number => performance.now();

t.test('three agents on loopback measure each other via /v1/peers', async (t) => {
  const latest = new Map<string, NodeReport>();
  const extender = await localServer((req, res) => {
    if (req.method === 'POST' && req.url === '/v1/reports') {
      const parsed = parseReport(JSON.parse(req.body));
      if (!parsed.ok) {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ code: 'BAD', message: 'invalid' }));
        return;
      }
      latest.set(parsed.value.node, parsed.value);
      res.writeHead(202).end();
      return;
    }
    if (req.method === 'GET' && req.url === '/v1/peers') {
      const peers = [...latest.values()].map((r) => ({ node: r.node, zone: r.zone, probe: r.probe }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ peers }));
      return;
    }
    res.writeHead(404).end();
  });
  t.teardown(() => extender.close());
  const names = ['a1', 'a2', 'a3'];
  const agents: RunningAgent[] = [];
  t.teardown(async () => {
    await Promise.all(agents.map((a) => a.stop()));
  });
  for (const node of names) {
    agents.push(
      await startAgent({
        extender: extender.url,
        args: [
          '--node',
          node,
          '--zone',
          node === 'a3' ? 'z2' : 'z1',
          '--probe-listen',
          '127.0.0.1:0',
          '--interval',
          '1s',
          '--heartbeat',
          '1s',
          '--peers-refresh',
          '1s',
          '--probe-count',
          '5',
          ...(node === 'a1' ? ['--metrics-listen', '127.0.0.1:0'] : []),
        ],
        deps: realDeps(captureLog()),
      }),
    );
  }
  const ports = agents.map((a) => a.probe);
  t.equal(new Set(ports).size, 3, `distinct echo addresses: ${ports.join(', ')}`);
  t.ok(
    ports.every((p) => p?.startsWith('127.0.0.1:')),
    'advertised from the specific listen host',
  );
  await waitFor(() => names.every((n) => (latest.get(n)?.peers.length ?? 0) === 2), {
    timeoutMs: 15_000,
    description: 'every agent to report both peers',
  });
  for (const n of names) {
    const peers = latest.get(n)?.peers ?? [];
    t.same(
      peers.map((p) => p.node),
      names.filter((x) => x !== n),
      `${n} reports the other two, not itself`,
    );
    for (const p of peers) {
      t.comment(`${n} → ${p.node}: p50 ${p.p50Us} µs, p99 ${p.p99Us} µs, ${p.samples} samples`);
      t.ok(p.p50Us > 0 && p.p50Us < 100_000, `${n}→${p.node}: p50 is a real loopback RTT`);
      t.ok(p.p99Us >= p.p50Us, `${n}→${p.node}: p99 ≥ p50`);
      t.ok(p.samples >= 5, `${n}→${p.node}: at least one round of 5 probes`);
    }
  }
  const metricsAt = agents[0]?.metricsAddress;
  t.ok(metricsAt, 'a1 serves metrics');
  const text = await (await fetch(`http://127.0.0.1:${metricsAt?.port ?? 0}/metrics`)).text();
  for (const name of [
    'berth_agent_publish_total{result="ok"}',
    'berth_agent_collect_duration_seconds_bucket{le="0.001",collector="pools"}',
    'berth_agent_probe_rtt_seconds_bucket{le="0.0001"}',
    'berth_agent_last_publish_timestamp_seconds',
    'berth_agent_process_resident_memory_bytes',
  ]) {
    t.ok(text.includes(name), `metrics expose ${name}`);
  }
  const rttCount = /berth_agent_probe_rtt_seconds_count (\d+)/.exec(text);
  t.ok(Number(rttCount?.[1] ?? 0) >= 10, `probe RTT histogram observed ${rttCount?.[1] ?? 0} probes`);
  const okCount = /berth_agent_publish_total\{result="ok"\} (\d+)/.exec(text);
  t.ok(Number(okCount?.[1] ?? 0) >= 2, `publish_total{result="ok"} = ${okCount?.[1] ?? 0}`);
  t.equal((await fetch(`http://127.0.0.1:${metricsAt?.port ?? 0}/other`)).status, 404);
  const stopStarted = mono();
  await Promise.all(agents.map((a) => a.stop()));
  t.comment(`stopping three agents took ${Math.round(mono() - stopStarted)} ms`);
  const closed = await fetch(`http://127.0.0.1:${metricsAt?.port ?? 0}/metrics`).then(
    () => 'open',
    () => 'closed',
  );
  t.equal(closed, 'closed', 'metrics listener closed by stop()');
});

t.test('echo socket: static peers, silent peer, malformed packets, reply rate limit', async (t) => {
  const a = await EchoSocket.open({
    listen: { host: '127.0.0.1', port: 0 },
    monotonicMs: mono,
    random: seededRandom(1),
  });
  // b's rate limiter runs on a clock the test moves: the bucket refills when the test says so, not with real time.
  let bNowMs = 0;
  const b = await EchoSocket.open({
    listen: { host: '127.0.0.1', port: 0 },
    monotonicMs: () => bNowMs,
    random: seededRandom(2),
    maxRepliesPerSec: 5,
  });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const silent = createSocket('udp4');
  await new Promise<void>((r) => {
    silent.bind(0, '127.0.0.1', r);
  });
  t.teardown(() => {
    silent.close();
  });

  const rtts: number[] = [];
  const prober = new LatencyProber({
    self: { node: 'a', zone: null },
    socket: a,
    refreshMs: 60_000,
    zonePeers: 4,
    otherPeers: 4,
    count: 3,
    timeoutMs: 200,
    windowMs: 60_000,
    reportMax: 10,
    source: new StaticPeerSource([
      { node: 'b', zone: null, probe: `127.0.0.1:${b.address.port}` },
      { node: 'quiet', zone: null, probe: `127.0.0.1:${silent.address().port}` },
      { node: 'a', zone: null, probe: `127.0.0.1:${a.address.port}` },
    ]),
    onRtt: (s) => rtts.push(s),
  });
  const started = mono();
  const out = await prober.collect(mono, new AbortController().signal);
  t.ok(mono() - started >= 3 * 200 - 20, 'a silent peer costs count × timeout per round');
  t.same(
    out.value.map((p) => p.node),
    ['b'],
    'the silent peer and self are absent, not reported with made-up numbers',
  );
  t.equal(out.value[0]?.samples, 3);
  t.equal(rtts.length, 3, 'each successful probe reaches the metric hook');
  t.same(out.problems, []);

  // Malformed datagrams are ignored, not answered.
  const raw = createSocket('udp4');
  await new Promise<void>((r) => {
    raw.bind(0, '127.0.0.1', r);
  });
  t.teardown(() => {
    raw.close();
  });
  let answers = 0;
  raw.on('message', () => {
    answers++;
  });
  const ignoredBefore = b.stats.ignored;
  for (const junk of [Buffer.from('hello'), Buffer.alloc(32), Buffer.alloc(1024)])
    raw.send(junk, b.address.port, '127.0.0.1');
  await waitFor(() => b.stats.ignored >= ignoredBefore + 3, { timeoutMs: 2000, description: 'junk counted' });
  t.equal(answers, 0, 'no reply to junk');

  // b answers at most 5/s (burst 5): a burst of 20 valid requests gets ~5 replies.
  const repliesBefore = b.stats.replies;
  bNowMs += 1100; // a second and more passes for b: the bucket is full again
  for (let i = 0; i < 20; i++)
    raw.send(encodeEchoPacket({ type: ECHO_REQUEST, session: 9, nonce: i }), b.address.port, '127.0.0.1');
  await waitFor(() => b.stats.replies + b.stats.repliesDropped >= repliesBefore + 20, {
    timeoutMs: 2000,
    description: 'burst handled',
  });
  const replied = b.stats.replies - repliesBefore;
  t.ok(replied >= 5 && replied <= 6, `rate limit: ${replied} of 20 answered`);
  t.equal(replied, 5, 'with no time passing during the burst, exactly the burst of 5');
  await waitFor(() => answers >= replied, { timeoutMs: 2000, description: 'replies arrive' });
  t.equal(answers, replied, 'replies are the same size and count as answered requests');
});

t.test('peer discovery failure: reported, last list kept, retried next round', async (t) => {
  const a = await EchoSocket.open({
    listen: { host: '127.0.0.1', port: 0 },
    monotonicMs: mono,
    random: seededRandom(3),
  });
  const b = await EchoSocket.open({
    listen: { host: '127.0.0.1', port: 0 },
    monotonicMs: mono,
    random: seededRandom(4),
  });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  let fail = false;
  let calls = 0;
  const prober = new LatencyProber({
    self: { node: 'a', zone: null },
    socket: a,
    refreshMs: 0,
    zonePeers: 1,
    otherPeers: 1,
    count: 1,
    timeoutMs: 500,
    windowMs: 60_000,
    reportMax: 10,
    source: {
      list: async () => {
        calls++;
        if (fail) throw new Error('GET /v1/peers: HTTP 503');
        return [{ node: 'b', zone: null, probe: `127.0.0.1:${b.address.port}` }];
      },
    },
  });
  const signal = new AbortController().signal;
  t.same((await prober.collect(mono, signal)).problems, []);
  fail = true;
  const second = await prober.collect(mono, signal);
  t.same(second.problems, ['peer discovery failed (probing the last known 1 peers): GET /v1/peers: HTTP 503']);
  t.equal(second.value[0]?.samples, 2, 'kept probing b from the last known list');
  fail = false;
  t.same((await prober.collect(mono, signal)).problems, [], 'recovers');
  t.equal(calls, 3);
});

t.test('HTTP peer source: token header, ETag revalidation, errors', async (t) => {
  const dir = t.testdir({ token: 'peer-token' });
  let status = 200;
  const extender = await localServer((req, res) => {
    if (status !== 200) {
      res.writeHead(status).end();
      return;
    }
    if (req.headers['if-none-match'] === '"v1"') {
      res.writeHead(304).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end(
      JSON.stringify({
        peers: [
          { node: 'n1', zone: 'z1', probe: '127.0.0.1:7070' },
          { node: 'bad node', probe: '1.2.3.4:1' },
        ],
      }),
    );
  });
  t.teardown(() => extender.close());
  const source = new HttpPeerSource({
    extender: extender.url,
    token: new BearerTokenFile(`${dir}/token`),
    timeoutMs: 2000,
  });
  const signal = new AbortController().signal;
  const first = await source.list(signal);
  t.same(first, [{ node: 'n1', zone: 'z1', probe: '127.0.0.1:7070' }]);
  t.equal(source.lastSkipped, 1, 'the bad entry was counted');
  const second = await source.list(signal);
  t.equal(second, first, '304: the cached list is returned');
  t.same(
    extender.received.map((r) => [r.url, r.headers.authorization, r.headers['if-none-match']]),
    [
      ['/v1/peers', 'Bearer peer-token', undefined],
      ['/v1/peers', 'Bearer peer-token', '"v1"'],
    ],
  );
  status = 503;
  await t.rejects(source.list(signal), /GET \/v1\/peers: HTTP 503/);
});
