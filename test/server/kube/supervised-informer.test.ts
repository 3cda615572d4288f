/**
 * SupervisedInformer against a fake API server on loopback. A real API server cannot be told to fail one watch
 * with a 500, or to relist every few hundred milliseconds (the flag's minimum is 60 s); those two conditions are
 * what this file covers. Restarts, stalls and reconciliation against a real API server: test/e2e/kube/recovery.
 */
import t from 'tap';
import { createServer, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import * as k8s from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { SupervisedInformer } from '../../../server/kube/supervised-informer.ts';
import { waitFor } from '../../helpers/wait.ts';

interface Fake {
  url: string;
  pods: Map<string, KubernetesObject>;
  watchStatus: number[];
  watches: ServerResponse[];
  close(): Promise<void>;
}

async function fakeApiServer(): Promise<Fake> {
  const fake: Fake = { url: '', pods: new Map(), watchStatus: [], watches: [], close: async () => undefined };
  let rv = 1;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v1/pods') {
      res.writeHead(404).end();
      return;
    }
    if (url.searchParams.get('watch') !== 'true') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          kind: 'PodList',
          apiVersion: 'v1',
          metadata: { resourceVersion: String(++rv) },
          items: [...fake.pods.values()],
        }),
      );
      return;
    }
    const status = fake.watchStatus.shift() ?? 200;
    if (status !== 200) {
      res.writeHead(status).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    fake.watches.push(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  fake.url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  fake.close = async () => {
    for (const w of fake.watches) w.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return fake;
}

function kubeConfig(server: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

function podObj(name: string): KubernetesObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', resourceVersion: '1' } };
}

const until = (check: () => boolean): Promise<true> =>
  waitFor(() => check(), { timeoutMs: 10_000, description: check.toString() });

t.test('a watch that fails with 500 stops client-node; the supervisor restarts it and reconciles', async (t) => {
  const fake = await fakeApiServer();
  t.teardown(() => fake.close());
  fake.pods.set('a', podObj('a'));
  fake.pods.set('b', podObj('b'));
  const seen = new Map<string, boolean>();
  const removed: string[] = [];
  const kc = kubeConfig(fake.url);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const informer = new SupervisedInformer({
    k8s,
    kc,
    resource: 'pods',
    path: '/api/v1/pods',
    list: () => core.listPodForAllNamespaces(),
    sink: {
      upsert: (o, initial) => {
        seen.set(o.metadata?.name ?? '', initial);
      },
      remove: (o) => {
        removed.push(o.metadata?.name ?? '');
      },
    },
    watchdogTimeoutMs: 60_000,
    resyncPeriodMs: 60_000,
    now: () => Date.now(),
    random: () => 0,
    log: () => undefined,
  });
  t.teardown(() => informer.stop());
  informer.start();
  await until(() => informer.health.phase === 'synced');
  t.same(
    [...seen],
    [
      ['a', true],
      ['b', true],
    ],
    'the first LIST is marked initial',
  );
  // The next watch is refused with a 500: client-node gives up; the supervisor must not.
  fake.watchStatus.push(500);
  fake.pods.delete('b');
  fake.pods.set('c', podObj('c'));
  for (const w of fake.watches.splice(0)) w.end(); // a clean close: client-node re-watches, and meets the 500
  await until(() => informer.health.restarts === 1);
  t.equal(informer.health.phase, 'down', 'down while waiting to restart');
  t.match(informer.health.reason ?? '', /500|Internal Server Error/, `reason: ${informer.health.reason ?? ''}`);
  await until(() => informer.health.phase === 'synced');
  t.same(removed, ['b'], 'the object deleted meanwhile is reported deleted after the relist');
  t.equal(seen.get('c'), false, 'objects after the first sync are not initial');
});

t.test('periodic relists keep the informer synced and count', async (t) => {
  const fake = await fakeApiServer();
  t.teardown(() => fake.close());
  fake.pods.set('a', podObj('a'));
  const removed: string[] = [];
  const kc = kubeConfig(fake.url);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const informer = new SupervisedInformer({
    k8s,
    kc,
    resource: 'pods',
    path: '/api/v1/pods',
    list: () => core.listPodForAllNamespaces(),
    sink: {
      upsert: () => undefined,
      remove: (o) => {
        removed.push(o.metadata?.name ?? '');
      },
    },
    watchdogTimeoutMs: 60_000,
    resyncPeriodMs: 300,
    now: () => Date.now(),
    random: () => 0,
    log: () => undefined,
  });
  t.teardown(() => informer.stop());
  informer.start();
  await until(() => informer.health.phase === 'synced');
  fake.pods.delete('a'); // no watch event: only a relist can notice
  await until(() => informer.health.relists >= 2);
  await until(() => removed.length === 1);
  t.same(removed, ['a'], 'a relist reconciles what no event said');
  t.equal(informer.health.restarts, 0, 'relists are not restarts');
  t.equal(informer.health.phase, 'synced');
});
