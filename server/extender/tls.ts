/**
 * Server TLS material, re-read when the files change so that a rotated certificate (cert-manager renews in place)
 * takes effect without a restart.
 */
import { readFileSync, watchFile, unwatchFile } from 'node:fs';
import type { Server } from 'node:https';
import type { SecureContextOptions } from 'node:tls';

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly clientCa: string | null;
}

export function readTls(files: TlsFiles): SecureContextOptions & { requireClientCert: boolean } {
  return {
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
    ...(files.clientCa !== null ? { ca: readFileSync(files.clientCa) } : {}),
    requireClientCert: files.clientCa !== null,
    minVersion: 'TLSv1.2',
  };
}

/** Polls the files (watchers miss atomic symlink swaps in mounted Secrets) and swaps the context in place. */
export function reloadTlsOnChange(
  server: Server,
  files: TlsFiles,
  log: (msg: string) => void,
  intervalMs = 10_000,
): () => void {
  const paths = [files.cert, files.key, ...(files.clientCa !== null ? [files.clientCa] : [])];
  const onChange = (): void => {
    try {
      server.setSecureContext(readTls(files));
      log('TLS material reloaded');
    } catch (e) {
      log(`TLS reload failed, keeping the previous certificate: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  for (const p of paths) watchFile(p, { interval: intervalMs }, onChange);
  return () => {
    for (const p of paths) unwatchFile(p, onChange);
  };
}
