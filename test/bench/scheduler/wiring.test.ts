/**
 * The benchmark's wiring, without a control plane: the scheduler configurations differ from the shipped one only
 * where they must, and the no-op extender (bench/server.ts noop with TLS flags) serves mTLS as berth does.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';
import { checkMtls, schedulerConfigs, startNoop } from '../../../bench/scheduler/wiring.ts';
import { generateCerts, opensslVersion } from '../../helpers/manifests/berth-tls.ts';

const openssl = await opensslVersion();
if (openssl === null && process.env['BERTH_E2E_REQUIRED'] === '1') t.fail('openssl is required (BERTH_E2E_REQUIRED=1)');
const skip = openssl === null ? 'openssl is missing (apt-get install openssl)' : false;
const shippedPath = join(import.meta.dirname, '..', '..', '..', 'manifests', 'scheduler', 'extender-config.yaml');

type Doc = Record<string, unknown> & { extenders?: Record<string, unknown>[] };

t.test(
  'scheduler configurations: the shipped wiring, with only address, files, QPS and election changed',
  { skip },
  async (t) => {
    const certs = await generateCerts(t.testdir());
    const configs = await schedulerConfigs(certs, 5000, 10000);
    const shipped = parse(await readFile(shippedPath, 'utf8')) as Doc;
    const withExtender = parse(configs.withExtender('https://127.0.0.1:4321')) as Doc;
    const ext = withExtender.extenders?.[0] ?? {};
    const shippedExt = shipped.extenders?.[0] ?? {};
    t.equal(configs.marker, 'berth.io/managed');
    t.equal(ext['urlPrefix'], 'https://127.0.0.1:4321/scheduler', 'the shipped path, at the local address');
    t.same(ext['tlsConfig'], {
      serverName: 'berth-extender.berth-system.svc',
      caFile: certs.ca,
      certFile: certs.clientCert,
      keyFile: certs.clientKey,
    });
    for (const key of ['managedResources', 'weight', 'httpTimeout', 'nodeCacheCapable', 'ignorable', 'enableHTTPS'])
      t.same(ext[key], shippedExt[key], `${key} as shipped`);
    t.same(withExtender['profiles'], shipped['profiles'], 'profiles as shipped');
    t.same(withExtender['clientConnection'], { kubeconfig: '/etc/kubernetes/scheduler.conf', qps: 5000, burst: 10000 });
    t.same(withExtender['leaderElection'], { leaderElect: false });

    const none = parse(configs.none) as Doc;
    t.equal(none.extenders, undefined, 'no extender');
    t.match(none['profiles'], [
      { pluginConfig: [{ name: 'NodeResourcesFit', args: { ignoredResources: ['berth.io/managed'] } }] },
    ]);
    t.match(none['clientConnection'], { qps: 5000, burst: 10000 });
  },
);

t.test('the no-op extender serves mTLS with the TLS flags', { skip }, async (t) => {
  const dir = t.testdir();
  const certs = await generateCerts(dir);
  const noop = await startNoop(dir, certs);
  t.teardown(() => noop.process.stop());
  t.match(noop.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  await t.resolves(
    checkMtls(noop.url, certs),
    'a call with the client certificate answers 200, one without is refused',
  );
  t.equal(await noop.metrics(), null, 'the no-op has no /metrics');
});

t.test('checkMtls fails a server that does not require client certificates', { skip }, async (t) => {
  const certs = await generateCerts(t.testdir());
  const server = createServer(
    { cert: await readFile(certs.serverCert), key: await readFile(certs.serverKey) },
    (_req, res) => res.writeHead(200).end('{}'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await t.rejects(checkMtls(`https://127.0.0.1:${String(port)}`, certs), /without a client certificate answered 200/);
});
