/**
 * A benchmark server in its own process: `berth` is the real extender (standalone, seeded reports); `noop` is
 * the floor: the same fastify settings and JSON parser, and answers of the same shapes berth gives (every node
 * passes filter, every node gets a score), so serialising the answer costs both sides the same and the difference
 * is berth's own work. Prints the port on stdout when listening. `noop --tls-cert F --tls-key F [--tls-client-ca F]`
 * serves HTTPS with berth's own TLS settings (mTLS with the CA), for bench/scheduler, where kube-scheduler calls it
 * as it calls berth.
 */
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { readTls } from '../server/extender/tls.ts';
import { config } from '../test/helpers/builders.ts';
import { startExtender } from '../server/extender/run.ts';
import { installJsonParser } from '../server/http/json-body.ts';
import { clusterReports, nodeName } from './scenarios.ts';

const kind = process.argv[2];
if (kind === 'berth') {
  // As in a cluster: the pod's three peers already run on known nodes, so the latency term is computed too.
  const peers = [nodeName(0), nodeName(1), nodeName(2)];
  const cluster = {
    claimVolumes: () => [],
    peerNodes: () => peers,
    reservations: () => new Map<string, readonly number[]>(),
    readiness: () => ({ ready: true, reason: '' }),
  };
  const running = await startExtender(config({ listen: '127.0.0.1:0', 'shutdown-delay': '0s', 'log-level': 'error' }), {
    logger: false,
    cluster,
  });
  for (const r of clusterReports()) running.deps.store.ingest(r, Date.now());
  process.stdout.write(`${new URL(running.url).port}\n`);
} else if (kind === 'noop') {
  const app = Fastify({ logger: false, keepAliveTimeout: 120_000, bodyLimit: 2 * 2 ** 20, ...noopTls() });
  installJsonParser(app);
  app.post('/scheduler/filter', async (req) => {
    const body = req.body as { NodeNames: string[] };
    return { NodeNames: body.NodeNames, Nodes: null, FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: '' };
  });
  app.post('/scheduler/prioritize', async (req) => {
    const body = req.body as { NodeNames: string[] };
    return body.NodeNames.map((Host) => ({ Host, Score: 5 }));
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  process.stdout.write(`${typeof addr === 'object' && addr !== null ? addr.port : 0}\n`);
} else {
  process.stderr.write('usage: bench/server.ts berth|noop [--tls-cert F --tls-key F [--tls-client-ca F]]\n');
  process.exit(2);
}

/** The https option berth's server/http/app.ts builds from the same flags; none without --tls-cert. */
function noopTls(): { https?: ReturnType<typeof readTls> & { requestCert: boolean; rejectUnauthorized: boolean } } {
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: { 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'tls-client-ca': { type: 'string' } },
  });
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if (cert === undefined || key === undefined) return {};
  const tls = readTls({ cert, key, clientCa: values['tls-client-ca'] ?? null });
  return { https: { ...tls, requestCert: tls.requireClientCert, rejectUnauthorized: tls.requireClientCert } };
}
