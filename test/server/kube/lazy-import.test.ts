/**
 * client-node costs ~400 ms to import; standalone mode must not load it. A child process records every module
 * the extender command resolves (node:module registerHooks) while starting a standalone extender.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');

function loadedModules(argv: string[]): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
    const { startExtender } = await import('./server/extender/run.ts');
    const { parseExtenderConfig } = await import('./lib/extender/config.ts');
    const parsed = parseExtenderConfig(${JSON.stringify(Object.fromEntries(argv.map((a) => a.split('='))))});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const running = await startExtender(parsed.value, { logger: false });
    await running.close();
    process.stdout.write(JSON.stringify(seen));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string[];
}

t.test('a standalone extender never loads @kubernetes/client-node', async (t) => {
  const seen = loadedModules(['listen=127.0.0.1:0', 'shutdown-delay=0s']);
  t.ok(
    seen.some((u) => u.includes('/fastify/')),
    `the recording works (${seen.length} modules)`,
  );
  t.same(
    seen.filter((u) => u.includes('@kubernetes/client-node')),
    [],
    'no client-node module',
  );
});
