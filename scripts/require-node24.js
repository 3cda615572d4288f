// npm scripts must run on the Node 24 that the `node` dev dependency installs into node_modules/.bin. If its
// install step was skipped (npm ci --ignore-scripts), npm silently falls back to the system Node: stop here.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `berth needs Node 24 or later, but npm ran Node ${process.versions.node}. Run 'npm ci' (without --ignore-scripts) so node_modules/.bin/node is Node 24.`,
  );
  process.exit(1);
}
