/**
 * The image, as far as it can be checked without a container engine: the Dockerfile's stages and user, and the
 * build it runs (tsc -p tsconfig.build.json) producing a dist/ whose entry point starts both commands and imports
 * nothing the runtime stage leaves out (`npm ci --omit=dev` installs only `dependencies`).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../helpers/manifests/render.ts';

const run = promisify(execFile);
const dockerfile = await readFile(join(REPO, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  engines: { node: string };
};
const lines = dockerfile.split('\n').filter((l) => !l.trim().startsWith('#'));

t.test('two stages on Node 24, dev dependencies only in the build stage, a numeric non-root user', async (t) => {
  const froms = lines.filter((l) => l.startsWith('FROM '));
  t.same(
    froms.map((l) => l.split(/\s+/)[1]),
    ['node:24-slim', 'node:24-slim'],
    'both stages on node:24-slim (engines: node >=24)',
  );
  t.match(pkg.engines.node, />=24/, 'package.json asks for Node 24');
  const [build, runtime] = dockerfile.split(/^FROM /m).slice(1);
  t.match(build ?? '', /RUN npm ci\b(?!.*--omit)/, 'the build stage installs dev dependencies (typescript)');
  t.match(build ?? '', /RUN npm run build/, 'and runs npm run build');
  t.equal(pkg.scripts['build'], 'tsc -p tsconfig.build.json', 'which is tsc -p tsconfig.build.json');
  t.match(runtime ?? '', /RUN npm ci --omit=dev/, 'the runtime stage installs production dependencies only');
  t.match(runtime ?? '', /COPY --from=build \/src\/dist \.\/dist/, 'and copies only the compiled dist/');
  t.match(
    runtime ?? '',
    /apt-get install[^\n]*util-linux[^\n]*lvm2/,
    'util-linux (lsblk) and lvm2 (vgs) for the agent',
  );
  t.match(runtime ?? '', /^USER 65532:65532$/m, "a numeric non-root user, as the manifests' runAsUser");
  t.match(
    runtime ?? '',
    /^ENTRYPOINT \["node", "--enable-source-maps", "dist\/server\/main\.js"\]$/m,
    'runs node dist/server/main.js',
  );
});

t.test('the agent really shells out to what the image installs', async (t) => {
  const agent = await Promise.all(
    ['collectors/nvme-devices.ts', 'collectors/lvm-vgs.ts'].map((f) =>
      readFile(join(REPO, 'server', 'agent', f), 'utf8'),
    ),
  );
  t.match(
    agent[0] ?? '',
    /si\.blockDevices|blockDevices\(/,
    "NVMe discovery uses systeminformation's blockDevices (lsblk)",
  );
  t.match(agent[1] ?? '', /'vgs'/, 'LVM pools run vgs');
});

async function jsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await jsFiles(join(dir, e.name))));
    else if (e.name.endsWith('.js')) out.push(join(dir, e.name));
  }
  return out;
}

t.test("the build stage's output starts and needs only production dependencies", async (t) => {
  t.setTimeout(120_000);
  // Inside the repository (tap's fixture dir), so dist/ resolves node_modules and package.json's "type" as in the image.
  const out = t.testdir();
  await run(join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', join(REPO, 'tsconfig.build.json'), '--outDir', out], {
    cwd: REPO,
  });
  const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
  const bare = new Set<string>();
  for (const file of await jsFiles(out)) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(
      /(?:^|\s)(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
    )) {
      const spec = m[1] ?? m[2] ?? '';
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      bare.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec));
    }
  }
  t.ok(bare.size >= 4, `dist/ imports ${[...bare].sort().join(', ')}`);
  t.same(
    [...bare].filter((p) => !allowed.has(p)),
    [],
    'every package dist/ imports is a production dependency',
  );
  for (const command of ['extender', 'agent']) {
    const { stdout } = await run(process.execPath, [join(out, 'server', 'main.js'), command, '--help'], { cwd: out });
    t.match(
      stdout,
      command === 'extender' ? /--tls-client-ca/ : /--metrics-listen/,
      `node dist/server/main.js ${command} --help works`,
    );
  }
});
