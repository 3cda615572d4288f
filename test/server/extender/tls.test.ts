import t from 'tap';
import { copyFileSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { startExtender } from '../../../server/extender/run.ts';
import { config, pod } from '../../helpers/builders.ts';
import { issue, makeCerts } from '../../helpers/certs.ts';

interface Answer {
  status: number;
  body: string;
  peerCn: string;
}

function call(url: string, opts: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<Answer> {
  const body = JSON.stringify({ Pod: pod(), Nodes: null, NodeNames: ['a'] });
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/scheduler/filter`,
      {
        method: 'POST',
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        let data = '';
        const cn = res.socket instanceof TLSSocket ? String(res.socket.getPeerCertificate().subject.CN) : '';
        res.on('data', (c: Buffer) => {
          data += c.toString();
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: data, peerCn: cn });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

t.test('mTLS: the verbs need a client certificate signed by the configured CA', async (t) => {
  const certs = makeCerts(t.testdir({ ours: {}, stranger: {} }) + '/ours');
  const cfg = config({
    listen: '127.0.0.1:0',
    'tls-cert': certs.serverCert,
    'tls-key': certs.serverKey,
    'tls-client-ca': certs.caCert,
    'shutdown-delay': '0s',
  });
  const running = await startExtender(cfg, { logger: false, tlsReloadIntervalMs: 100 });
  t.teardown(() => running.close());
  t.match(running.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = readFileSync(certs.caCert);
  const ok = await call(running.url, { ca, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) });
  t.equal(ok.status, 200, 'a client with a CA-signed certificate is served');
  await t.rejects(call(running.url, { ca }), 'a client without a certificate is refused during the handshake');
  const stranger = makeCerts(certs.dir.replace(/ours$/, 'stranger'));
  await t.rejects(
    call(running.url, { ca, cert: readFileSync(stranger.clientCert), key: readFileSync(stranger.clientKey) }),
    'a certificate from another CA is refused',
  );

  // Rotation: a new server certificate written in place is served without a restart.
  t.equal(ok.peerCn, 'berth-extender');
  const next = issue(
    certs.dir,
    'server2',
    'berth-extender-rotated',
    'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth',
  );
  copyFileSync(next.key, certs.serverKey);
  copyFileSync(next.cert, certs.serverCert);
  let rotated = '';
  for (let i = 0; i < 50 && rotated !== 'berth-extender-rotated'; i++) {
    await sleep(100);
    rotated = (
      await call(running.url, { ca, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) })
    ).peerCn;
  }
  t.equal(rotated, 'berth-extender-rotated', 'the rotated certificate is served');
});

t.test('a non-loopback listener without mTLS is refused at start', async (t) => {
  t.throws(
    () => config({ listen: '0.0.0.0:8888' }),
    /not a loopback address: scheduling verbs are served off loopback only with mTLS/,
  );
});

/** Resolves with what the server sent on a plain TCP connection that never sends a byte, once it closes. */
function silentTcp(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let said = '';
    socket.on('data', (d: Buffer) => {
      said += d.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      resolve(said);
    });
  });
}

t.test('a connection that never starts TLS is closed after --handshake-timeout', async (t) => {
  const certs = makeCerts(t.testdir({ ours: {} }) + '/ours');
  const cfg = config({
    listen: '127.0.0.1:0',
    'tls-cert': certs.serverCert,
    'tls-key': certs.serverKey,
    'tls-client-ca': certs.caCert,
    'shutdown-delay': '0s',
    'handshake-timeout': '1s',
    // Far beyond this test's own timeout: only the handshake timeout can close the connection in time.
    'request-timeout': '10m',
    'keep-alive-timeout': '10m',
  });
  t.setTimeout(60_000);
  const running = await startExtender(cfg, { logger: false });
  t.teardown(() => running.close());
  t.equal(await silentTcp(running.url), '', 'closed without a byte sent');
  const ca = readFileSync(certs.caCert);
  const ok = await call(running.url, { ca, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) });
  t.equal(ok.status, 200, 'a client that completes its handshake is served as before');
});
