import t from 'tap';
import { type AgentConfigInput, type RawAgentFlags, validateAgentConfig } from '../../../lib/agent/config.ts';

const EXT = 'http://127.0.0.1:8888';
function input(flags: RawAgentFlags, env: Record<string, string> = {}, hostname = 'node-a'): AgentConfigInput {
  return { flags, env, hostname };
}
function problemsOf(i: AgentConfigInput): string[] {
  const r = validateAgentConfig(i);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

t.test('defaults: only --extender given', async (t) => {
  const r = validateAgentConfig(input({ extender: `${EXT}/` }, {}, 'Node-A.example'));
  t.ok(r.ok);
  if (!r.ok) return;
  const c = r.value;
  t.equal(c.node, 'node-a.example', 'hostname lower-cased like the kubelet does');
  t.equal(c.extender, EXT, 'trailing slash removed');
  t.equal(c.zone, null);
  t.same([c.intervalMs, c.heartbeatMs, c.inventoryRefreshMs, c.rateWindowMs], [10_000, 20_000, 300_000, 30_000]);
  t.same(c.probe.listen, { host: '0.0.0.0', port: 7070 });
  t.same(
    [c.probe.zonePeers, c.probe.otherPeers, c.probe.count, c.probe.timeoutMs, c.probe.reportMax],
    [16, 8, 3, 1000, 128],
  );
  t.equal(c.peers.source, 'extender', 'peers come from the extender when no static list is given');
  t.same(c.change, {
    freeBytes: 2 ** 30,
    headroomFraction: 0.05,
    rateFloorBps: 10e6,
    rttFraction: 0.25,
    rttFloorUs: 100,
  });
  t.same(c.publish, { timeoutMs: 5000, retryBaseMs: 500, retryMaxMs: 30_000 });
  t.equal(c.metricsListen, null);
  t.equal(c.kube, null, 'standalone: no Kubernetes client');
  t.ok(
    Object.isFrozen(c) && Object.isFrozen(c.probe) && Object.isFrozen(c.probe.listen) && Object.isFrozen(c.pools),
    'deeply frozen',
  );
});

t.test('--kube: the NodeReport publisher, peers from NodeReports, the zone from the Node label', async (t) => {
  const r = validateAgentConfig(input({ kube: true }, { NODE_NAME: 'worker-1' }));
  t.ok(r.ok, r.ok ? 'accepted without --extender' : JSON.stringify(r.problems));
  if (!r.ok) return;
  const c = r.value;
  t.equal(c.extender, null);
  t.same(
    c.kube,
    { kubeconfig: null, zoneFromNode: true },
    'in-cluster (or default) credentials; zone read from the Node at start',
  );
  t.equal(c.zone, null, 'no zone known until the Node is read');
  t.equal(c.peers.source, 'kube', 'peers come from NodeReports when --kube and no --peers');
  t.equal(c.node, 'worker-1');
  t.ok(Object.isFrozen(c.kube), 'deeply frozen');
});

t.test('valid configurations', async (t) => {
  const cases: { name: string; in: AgentConfigInput; check: (c: ReturnType<typeof validateAgentConfig>) => unknown }[] =
    [
      {
        name: '--once --json needs no extender',
        in: input({ once: true, json: true }),
        check: (r) => r.ok && r.value.extender === null && r.value.peers.source === 'none',
      },
      {
        name: 'NODE_NAME beats the hostname',
        in: input({ extender: EXT }, { NODE_NAME: 'worker-7' }),
        check: (r) => r.ok && r.value.node === 'worker-7',
      },
      {
        name: '--node beats NODE_NAME',
        in: input({ extender: EXT, node: 'n1' }, { NODE_NAME: 'worker-7' }),
        check: (r) => r.ok && r.value.node === 'n1',
      },
      {
        name: 'zone from BERTH_ZONE',
        in: input({ extender: EXT }, { BERTH_ZONE: 'eu-1a' }),
        check: (r) => r.ok && r.value.zone === 'eu-1a',
      },
      {
        name: '--zone beats BERTH_ZONE',
        in: input({ extender: EXT, zone: 'z2' }, { BERTH_ZONE: 'eu-1a' }),
        check: (r) => r.ok && r.value.zone === 'z2',
      },
      {
        name: 'pools of every kind, repeated and comma-separated',
        in: input({ extender: EXT, pool: ['fast=mount:/mnt/nvme', 'raw=device:/dev/nvme1n1,vg=lvm:vg_fast-1'] }),
        check: (r) =>
          r.ok &&
          JSON.stringify(r.value.pools) ===
            JSON.stringify([
              { name: 'fast', kind: 'mount', path: '/mnt/nvme' },
              { name: 'raw', kind: 'device', device: '/dev/nvme1n1' },
              { name: 'vg', kind: 'lvm', vg: 'vg_fast-1' },
            ]),
      },
      {
        name: 'static peers select the static source, IPv6 bracketed',
        in: input({ extender: EXT, peers: ['n1=127.0.0.1:7071,n2=[::1]:7072'] }),
        check: (r) =>
          r.ok &&
          r.value.peers.source === 'static' &&
          r.value.peers.list.map((p) => p.probe).join() === '127.0.0.1:7071,[::1]:7072',
      },
      {
        name: '--no-probe turns the peer source off',
        in: input({ extender: EXT, probe: false }), // --no-probe
        check: (r) => r.ok && !r.value.probe.enabled && r.value.peers.source === 'none',
      },
      {
        name: 'ephemeral probe port allowed for listening',
        in: input({ extender: EXT, 'probe-listen': '127.0.0.1:0' }),
        check: (r) => r.ok && r.value.probe.listen.port === 0,
      },
      {
        name: 'metrics listener',
        in: input({ extender: EXT, 'metrics-listen': '127.0.0.1:9100' }),
        check: (r) => r.ok && r.value.metricsListen?.port === 9100,
      },
      {
        name: '--kube with --kubeconfig',
        in: input({ kube: true, kubeconfig: '/etc/berth/kubeconfig' }),
        check: (r) => r.ok && r.value.kube?.kubeconfig === '/etc/berth/kubeconfig',
      },
      {
        name: '--kube --zone: the flag wins, the Node is not read',
        in: input({ kube: true, zone: 'z9' }),
        check: (r) => r.ok && r.value.zone === 'z9' && r.value.kube?.zoneFromNode === false,
      },
      {
        name: '--kube with BERTH_ZONE: the environment wins, the Node is not read',
        in: input({ kube: true }, { BERTH_ZONE: 'eu-1a' }),
        check: (r) => r.ok && r.value.zone === 'eu-1a' && r.value.kube?.zoneFromNode === false,
      },
      {
        name: '--kube with --peers keeps the static source',
        in: input({ kube: true, peers: ['n1=127.0.0.1:7071'] }),
        check: (r) => r.ok && r.value.peers.source === 'static',
      },
      {
        name: '--kube --peer-source none',
        in: input({ kube: true, 'peer-source': 'none' }),
        check: (r) => r.ok && r.value.peers.source === 'none',
      },
      {
        name: '--kube --peer-source kube, said explicitly',
        in: input({ kube: true, 'peer-source': 'kube' }),
        check: (r) => r.ok && r.value.peers.source === 'kube',
      },
      {
        name: '--kube --no-probe: no peer source',
        in: input({ kube: true, probe: false }), // --no-probe
        check: (r) => r.ok && r.value.peers.source === 'none' && r.value.kube !== null,
      },
      {
        name: '--kube --once --json: print, with the zone and peers from the API server',
        in: input({ kube: true, once: true, json: true }),
        check: (r) => r.ok && r.value.kube !== null && r.value.peers.source === 'kube',
      },
      {
        name: 'change thresholds parsed as quantities and durations',
        in: input({ extender: EXT, 'change-free': '512Mi', 'change-rtt-floor': '1ms' }),
        check: (r) => r.ok && r.value.change.freeBytes === 512 * 2 ** 20 && r.value.change.rttFloorUs === 1000,
      },
    ];
  for (const c of cases) t.ok(c.check(validateAgentConfig(c.in)), c.name);
});

t.test('invalid values are rejected with the flag named, never defaulted', async (t) => {
  const cases: {
    name: string;
    flags: RawAgentFlags;
    env?: Record<string, string>;
    hostname?: string;
    expect: RegExp;
  }[] = [
    { name: 'no extender', flags: {}, expect: /^--extender: required .*unless --kube or --once --json/ },
    { name: 'extender not http', flags: { extender: 'ftp://x' }, expect: /^--extender: must be an http\(s\) URL/ },
    { name: 'extender with query', flags: { extender: `${EXT}/?a=1` }, expect: /^--extender: .*without query/ },
    { name: 'extender garbage', flags: { extender: 'not a url' }, expect: /^--extender: must be an http\(s\) URL/ },
    {
      name: '--json without --once',
      flags: { extender: EXT, json: true },
      expect: /^--json: only valid together with --once/,
    },
    {
      name: 'interval not a duration',
      flags: { extender: EXT, interval: 'soon' },
      expect: /^--interval: must be a duration/,
    },
    {
      name: 'interval too small',
      flags: { extender: EXT, interval: '200ms' },
      expect: /^--interval: must be between 1s and 3600s, got 200ms/,
    },
    {
      name: 'heartbeat below interval',
      flags: { extender: EXT, interval: '30s', heartbeat: '10s' },
      expect: /^--heartbeat: must be ≥ --interval/,
    },
    { name: 'pool without kind', flags: { extender: EXT, pool: ['fast=/mnt'] }, expect: /^--pool: must be name=mount/ },
    {
      name: 'pool relative path',
      flags: { extender: EXT, pool: ['fast=mount:mnt'] },
      expect: /^--pool: fast: mount path must be absolute/,
    },
    {
      name: 'pool device outside /dev',
      flags: { extender: EXT, pool: ['d=device:/tmp/x'] },
      expect: /^--pool: d: device must be a \/dev\/ path/,
    },
    {
      name: 'pool bad vg name',
      flags: { extender: EXT, pool: ['v=lvm:-vg;rm'] },
      expect: /^--pool: v: not a valid LVM volume group name/,
    },
    {
      name: 'pool name upper case',
      flags: { extender: EXT, pool: ['Fast=mount:/mnt'] },
      expect: /^--pool: pool name must be a DNS-1123 subdomain/,
    },
    {
      name: 'pool name twice',
      flags: { extender: EXT, pool: ['a=mount:/x', 'a=mount:/y'] },
      expect: /^--pool: pool name "a" given twice/,
    },
    {
      name: 'nic with slash',
      flags: { extender: EXT, nic: ['../eth0'] },
      expect: /^--nic: not a network interface name/,
    },
    {
      name: 'nic too long',
      flags: { extender: EXT, nic: ['abcdefghijklmnop'] },
      expect: /^--nic: not a network interface name/,
    },
    {
      name: 'peer entry without port',
      flags: { extender: EXT, peers: ['n1=10.0.0.1'] },
      expect: /^--peers: entries must be node=host:port/,
    },
    {
      name: 'peer port 0',
      flags: { extender: EXT, peers: ['n1=10.0.0.1:0'] },
      expect: /^--peers: entries must be node=host:port/,
    },
    {
      name: 'static source without peers',
      flags: { extender: EXT, 'peer-source': 'static' },
      expect: /^--peer-source: static needs --peers/,
    },
    {
      name: 'unknown source',
      flags: { extender: EXT, 'peer-source': 'dns' },
      expect: /^--peer-source: must be static, extender, kube or none, got "dns"/,
    },
    {
      name: '--kube and --extender together',
      flags: { kube: true, extender: EXT },
      expect: /^--extender: not used with --kube .*give one or the other/,
    },
    {
      name: '--kubeconfig without --kube',
      flags: { extender: EXT, kubeconfig: '/k' },
      expect: /^--kubeconfig: only valid together with --kube/,
    },
    { name: 'empty --kubeconfig', flags: { kube: true, kubeconfig: '' }, expect: /^--kubeconfig: must not be empty/ },
    { name: '--kube given a value', flags: { kube: 'yes' }, expect: /^--kube: is a switch/ },
    {
      name: 'kube peer source without --kube',
      flags: { extender: EXT, 'peer-source': 'kube' },
      expect: /^--peer-source: kube needs --kube/,
    },
    {
      name: 'extender peer source with --kube',
      flags: { kube: true, 'peer-source': 'extender' },
      expect: /^--peer-source: extender needs --extender/,
    },
    {
      name: '--token-file with --kube',
      flags: { kube: true, 'token-file': '/var/run/secrets/berth/token' },
      expect: /^--token-file: is for --extender; with --kube/,
    },
    {
      name: 'peers with source none',
      flags: { extender: EXT, 'peer-source': 'none', peers: ['n1=10.0.0.1:1'] },
      expect: /^--peers: given, but --peer-source is none/,
    },
    {
      name: 'probe-listen port out of range',
      flags: { extender: EXT, 'probe-listen': '0.0.0.0:70000' },
      expect: /^--probe-listen: must be host:port/,
    },
    {
      name: 'probe-advertise port 0',
      flags: { extender: EXT, 'probe-advertise': '10.0.0.1:0' },
      expect: /^--probe-advertise: must be host:port/,
    },
    {
      name: 'probe-count 0',
      flags: { extender: EXT, 'probe-count': '0' },
      expect: /^--probe-count: must be an integer from 1 to 20/,
    },
    {
      name: 'probe-count fractional',
      flags: { extender: EXT, 'probe-count': '2.5' },
      expect: /^--probe-count: must be an integer/,
    },
    {
      name: 'report-peers-max above the report limit',
      flags: { extender: EXT, 'report-peers-max': '5000' },
      expect: /^--report-peers-max: must be an integer from 0 to 4096/,
    },
    {
      name: 'headroom fraction 0',
      flags: { extender: EXT, 'change-headroom': '0' },
      expect: /^--change-headroom: must be a fraction in \(0, 1\]/,
    },
    {
      name: 'headroom fraction above 1',
      flags: { extender: EXT, 'change-headroom': '1.5' },
      expect: /^--change-headroom: must be a fraction/,
    },
    {
      name: 'change-free not a quantity',
      flags: { extender: EXT, 'change-free': 'lots' },
      expect: /^--change-free: must be a quantity/,
    },
    {
      name: 'retry-max below retry-base',
      flags: { extender: EXT, 'retry-base': '10s', 'retry-max': '1s' },
      expect: /^--retry-max: must be ≥ --retry-base/,
    },
    {
      name: 'token file relative',
      flags: { extender: EXT, 'token-file': 'token' },
      expect: /^--token-file: must be an absolute path/,
    },
    { name: 'empty zone', flags: { extender: EXT, zone: ' ' }, expect: /^--zone: must not be empty/ },
    { name: 'switch given a value', flags: { extender: EXT, once: 'yes' }, expect: /^--once: is a switch/ },
    {
      name: 'invalid node',
      flags: { extender: EXT, node: 'Node_1' },
      expect: /^--node: must be a valid node name .*got "Node_1"/,
    },
    {
      name: 'invalid hostname without --node',
      flags: { extender: EXT },
      hostname: 'bad_host',
      expect: /^--node: .*not given, and NODE_NAME\/hostname is "bad_host"/,
    },
    { name: 'unknown flag from the adapter', flags: { extender: EXT, bogus: 'x' }, expect: /^--bogus: unknown flag/ },
  ];
  for (const c of cases) {
    const problems = problemsOf(input(c.flags, c.env, c.hostname));
    t.ok(
      problems.some((p) => c.expect.test(p)),
      `${c.name}: ${problems.join(' | ') || 'accepted'}`,
    );
  }
});

t.test('every problem is reported at once, not just the first', async (t) => {
  const problems = problemsOf(input({ interval: '1ms', 'probe-count': '99', pool: ['x'], nic: ['a/b'] }));
  t.same(problems.map((p) => p.split(':')[0]).sort(), ['--extender', '--interval', '--nic', '--pool', '--probe-count']);
});
