import t from 'tap';
import { describeProblems } from '../../../lib/core/check.ts';
import { parseExtenderConfig } from '../../../lib/extender/config.ts';
import { OPTIONS, type RawOptions } from '../../../lib/extender/options.ts';

t.test('defaults', async (t) => {
  const r = parseExtenderConfig({});
  t.ok(r.ok);
  if (!r.ok) return;
  const c = r.value;
  t.same(c.listen, { host: '127.0.0.1', port: 8888 });
  t.equal(c.prefix, '/scheduler');
  t.equal(c.policy.reportTtlMs, 180_000);
  t.equal(c.policy.stalePolicy, 'reject');
  t.equal(c.policy.strategy, 'spread');
  t.equal(c.maxNodes, 5000, "Kubernetes' node limit");
  t.equal(c.bodyLimitBytes, 512 * 2 ** 10 + 5000 * 67, 'a pod and 5000 names of up to 64 characters');
  t.same(
    [c.maxJsonDepth, c.requestTimeoutMs, c.handshakeTimeoutMs, c.keepAliveTimeoutMs, c.maxConnections],
    [64, 10_000, 10_000, 120_000, 1024],
  );
  t.equal(c.tls, null);
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.policy) && Object.isFrozen(c.policy.weights), 'frozen all the way down');
});

t.test('derived values', async (t) => {
  const full = parseExtenderConfig({ 'accept-full-nodes': true });
  t.ok(full.ok && full.value.bodyLimitBytes === 512 * 2 ** 10 + 5000 * 13 * 2 ** 10, 'full nodes: about 64Mi');
  const large = parseExtenderConfig({ 'max-nodes': '15000' });
  t.ok(large.ok && large.value.bodyLimitBytes === 512 * 2 ** 10 + 15000 * 67, 'the body limit follows --max-nodes');
  const set = parseExtenderConfig({ 'max-nodes': '15000', 'body-limit': '4Mi' });
  t.ok(set.ok && set.value.bodyLimitBytes === 4 * 2 ** 20, 'an explicit --body-limit wins');
  const prefix = parseExtenderConfig({ prefix: '/berth/' });
  t.ok(prefix.ok && prefix.value.prefix === '/berth', 'trailing slash trimmed as kube-scheduler trims urlPrefix');
  const mtls = parseExtenderConfig({ listen: '0.0.0.0:8443', 'tls-cert': 'c', 'tls-key': 'k', 'tls-client-ca': 'ca' });
  t.ok(mtls.ok && mtls.value.tls?.clientCa === 'ca', 'non-loopback allowed with mTLS');
});

t.test('invalid values are rejected with the flag named, all at once', async (t) => {
  const cases: [RawOptions, RegExp][] = [
    [{ listen: '8888' }, /--listen: must be host:port/],
    [{ listen: '0.0.0.0:8888' }, /--listen: 0\.0\.0\.0 is not a loopback address/],
    [{ 'tls-cert': 'c' }, /--tls-key: must be set together/],
    [{ 'tls-client-ca': 'ca' }, /--tls-client-ca: needs --tls-cert/],
    [{ 'report-ttl': '10' }, /--report-ttl: must be a duration/],
    [{ 'stale-policy': 'ignore' }, /--stale-policy: must be one of reject, neutral, got "ignore"/],
    [{ 'capacity-strategy': 'random' }, /--capacity-strategy: must be one of spread, binpack/],
    [{ 'weight-latency': '-1' }, /--weight-latency: must be a number from 0 to 100, got "-1"/],
    [
      { 'weight-capacity': '0', 'weight-bandwidth': '0', 'weight-latency': '0' },
      /at least one --weight-\* must be above 0/,
    ],
    [{ 'body-limit': 'huge' }, /--body-limit: must be a quantity/],
    [{ 'max-nodes': '1.5' }, /--max-nodes: must be an integer/],
    [{ 'max-json-depth': '8' }, /--max-json-depth: must be an integer from 16 to 10000/],
    [{ 'request-timeout': '0s' }, /--request-timeout: must be a duration of at least 1000ms/],
    [{ 'handshake-timeout': 'never' }, /--handshake-timeout: must be a duration/],
    [{ 'keep-alive-timeout': '5' }, /--keep-alive-timeout: must be a duration/],
    [{ 'max-connections': '0' }, /--max-connections: must be an integer from 1/],
    [{ prefix: 'scheduler' }, /--prefix: must be a URL path/],
    [{ 'log-level': 'loud' }, /--log-level: must be one of/],
  ];
  for (const [raw, want] of cases) {
    const r = parseExtenderConfig(raw);
    t.notOk(r.ok, JSON.stringify(raw));
    if (!r.ok) t.match(describeProblems(r.problems), want, JSON.stringify(raw));
  }
  const many = parseExtenderConfig({ 'stale-policy': 'x', 'capacity-strategy': 'y', 'report-ttl': 'z' });
  t.ok(!many.ok && many.problems.length === 3, 'collected, not thrown at the first');
});

t.test('every option has a help text and a default of its type', async (t) => {
  for (const [name, spec] of Object.entries(OPTIONS)) {
    t.ok(spec.help.length > 10, `${name} help`);
    t.equal(typeof spec.default, spec.type, `${name} default type`);
  }
});

t.test('kube options', async (t) => {
  const standalone = parseExtenderConfig({});
  t.ok(
    standalone.ok && standalone.value.kube === null && standalone.value.reportsPush,
    'standalone: no kube side, push on',
  );
  const kube = parseExtenderConfig({
    kube: true,
    'nvme-storage-classes': 'local-nvme, fast',
    'nvme-provisioners': 'local.csi.example.com',
  });
  t.ok(kube.ok);
  if (!kube.ok) return;
  const k = kube.value.kube;
  t.equal(kube.value.reportsPush, false, 'push defaults to off with --kube');
  t.same(k?.nvmeClasses, { classes: ['local-nvme', 'fast'], provisioners: ['local.csi.example.com'] });
  t.equal(k?.reservationTtlMs, 300_000);
  t.equal(k?.provisionalTtlMs, 15_000);
  t.equal(k?.resyncPeriodMs, 600_000);
  t.equal(k?.watchdogTimeoutMs, 90_000);
  t.equal(k?.kubeconfig, null);
  t.same(kube.value.pushAuth, { mode: 'none', agent: { namespace: 'berth-agent', name: 'berth-agent' } });
  const push = parseExtenderConfig({
    kube: true,
    'reports-push': true,
    'push-auth': 'tokenreview',
    'agent-service-account': 'ops:agent',
  });
  t.ok(
    push.ok &&
      push.value.reportsPush &&
      push.value.pushAuth.mode === 'tokenreview' &&
      push.value.pushAuth.agent.name === 'agent',
    'authenticated push in a cluster',
  );
  const off = parseExtenderConfig({ kube: true, 'provisional-ttl': '0' });
  t.ok(off.ok && off.value.kube?.provisionalTtlMs === 0, 'provisional holds can be turned off');
});

t.test('invalid kube options are rejected, not defaulted', async (t) => {
  const cases: [RawOptions, RegExp][] = [
    [{ kube: true, 'reports-push': true }, /--reports-push: with --kube, pushed reports must be authenticated/],
    [{ 'push-auth': 'tokenreview' }, /--push-auth: tokenreview needs --kube/],
    [{ kube: true, 'push-auth': 'mtls' }, /--push-auth: must be one of none, tokenreview/],
    [
      { kube: true, 'nvme-storage-classes': 'Local_NVMe' },
      /--nvme-storage-classes: must be a comma-separated list of StorageClass names, got "Local_NVMe"/,
    ],
    [{ kube: true, 'nvme-provisioners': 'a,,b' }, /--nvme-provisioners: must be a comma-separated list/],
    [{ kube: true, 'reservation-ttl': 'soon' }, /--reservation-ttl: must be a duration/],
    [{ kube: true, 'watchdog-timeout': '10s' }, /--watchdog-timeout: must be a duration of at least 35000ms/],
    [{ kube: true, 'resync-period': '5s' }, /--resync-period: must be a duration of at least 60000ms/],
    [{ 'agent-service-account': 'berth-agent' }, /--agent-service-account: must be namespace:name/],
    [{ kube: true, 'local-agent': true }, /--local-agent: is for standalone mode/],
  ];
  for (const [raw, want] of cases) {
    const r = parseExtenderConfig(raw);
    t.notOk(r.ok, JSON.stringify(raw));
    if (!r.ok) t.match(describeProblems(r.problems), want, JSON.stringify(raw));
  }
});
